import { describe, expect, it } from 'vitest';
import type { CaseRows } from '../../src/ledger/rows.js';
import { buildTimeline, duplicateEffectIds, type TimelineStep } from '../../src/report/timeline.js';
import { crashRows, passingRows, timeoutRows, writeSampleRun } from './fixtures/sample-run.js';

const DUPLICATE_CHECKS = { checks: [{ check: 'no-duplicate-effects', status: 'fail', evidence: { effects: [2, 1] } }] };
const brief = (step: TimelineStep): string => `${step.kind} ${step.from}>${step.to}`;

describe('buildTimeline', () => {
  it('gives one lane per actor: the caller, each invocation, each upstream', () => {
    const timeline = buildTimeline('c', timeoutRows(), DUPLICATE_CHECKS);
    expect(timeline.lanes.map((lane) => [lane.id, lane.subtitle])).toEqual([
      ['caller', 'retries, replays, probes'],
      ['invocation:1', 'attempt'],
      ['invocation:2', 'replay'],
      ['upstream:payments', 'POST /charges'],
    ]);
  });

  it('orders invocations, requests, faults, commits and answers in time', () => {
    const timeline = buildTimeline('c', timeoutRows(), DUPLICATE_CHECKS);
    expect(timeline.steps.map(brief)).toEqual([
      'call caller>invocation:1',
      'request invocation:1>upstream:payments',
      'commit upstream:payments>upstream:payments',
      'answer upstream:payments>invocation:1',
      'request invocation:1>upstream:payments',
      'commit upstream:payments>upstream:payments',
      'answer upstream:payments>invocation:1',
      'exit invocation:1>caller',
      'call caller>invocation:2',
      'request invocation:2>upstream:payments',
      'answer upstream:payments>invocation:2',
      'exit invocation:2>caller',
    ]);
    const [first] = timeline.steps.filter((step) => step.kind === 'request');
    expect(first).toMatchObject({ fault: 'timeout-after-commit', tone: 'fault', attributed: true });
    const held = timeline.steps.find((step) => step.kind === 'answer' && step.requestId === 1)!;
    expect(held).toMatchObject({ delivery: 'held', tone: 'fault' });
    expect(held.text).toContain('held until the client gave up after 200 ms');
    const replayed = timeline.steps.find((step) => step.kind === 'answer' && step.requestId === 3)!;
    expect(replayed).toMatchObject({ tone: 'replayed' });
    expect(replayed.text).toContain('replayed from its key');
    expect(timeline.endMs).toBe(500);
  });

  it('marks exactly the effects no-duplicate-effects named', () => {
    const timeline = buildTimeline('c', timeoutRows(), DUPLICATE_CHECKS);
    const commits = timeline.steps.filter((step) => step.kind === 'commit');
    expect(commits.map((step) => [step.effectId, step.duplicate, step.tone])).toEqual([
      [1, true, 'duplicate'],
      [2, true, 'duplicate'],
    ]);
    expect(timeline.duplicateEffectIds).toEqual([1, 2]);
    expect(buildTimeline('c', timeoutRows()).steps.some((step) => step.kind === 'commit' && step.duplicate)).toBe(false);
    expect(duplicateEffectIds({ checks: [{ check: 'no-duplicate-effects', status: 'pass', evidence: { effects: [1] } }] })).toEqual([]);
  });

  it('says how a killed invocation ended and that its outcome is unknown', () => {
    const timeline = buildTimeline('c', crashRows());
    const exit = timeline.steps.find((step) => step.kind === 'exit' && step.invocationId === 1)!;
    expect(exit).toMatchObject({ outcome: 'unknown', tone: 'unknown', text: 'killed (crash)' });
    expect(timeline.steps.find((step) => step.kind === 'answer' && step.requestId === 1)!.text).toBe('target killed at commit');
    expect(timeline.invocations.map((invocation) => invocation.label)).toEqual(['attempt', 'retry 1']);
  });

  it('says what a crash "after commit" did to a request the upstream refused: nothing committed, not a kill at commit (issue 13, class 6)', () => {
    const rows = crashRows();
    rows.effects = [];
    rows.requests[0] = { ...rows.requests[0]!, committed: false, outcome: 'rejected', upstreamStatus: 422, clientStatus: null };
    const answer = buildTimeline('c', rows).steps.find((step) => step.kind === 'answer' && step.requestId === 1)!;
    expect(answer.text).toBe('target killed after payments refused it (422), nothing committed');
    rows.requests[0] = { ...rows.requests[0]!, fault: 'crash-before-commit', outcome: 'not-run', upstreamStatus: null };
    expect(buildTimeline('c', rows).steps.find((step) => step.kind === 'answer' && step.requestId === 1)!.text).toBe('target killed on arrival');
  });

  it('keeps causes first within one millisecond: an exit before the next call, a request before its commit and answer', () => {
    const rows = passingRows();
    // Everything at 100 ms: invocation 1 ends as invocation 2 starts; request 2 takes no time.
    rows.invocations[1]!.startedMs = 100;
    rows.invocations[1]!.durationMs = 0;
    rows.requests[1] = { ...rows.requests[1]!, startedMs: 100, endedMs: 100, outcome: 'committed', committed: true };
    rows.effects.push({ ...rows.effects[0]!, id: 2, requestId: 2 });
    const timeline = buildTimeline('c', rows);
    expect(timeline.steps.filter((step) => step.atMs === 100).map(brief)).toEqual([
      'exit invocation:1>caller',
      'call caller>invocation:2',
      'request invocation:2>upstream:payments',
      'commit upstream:payments>upstream:payments',
      'answer upstream:payments>invocation:2',
      'exit invocation:2>caller',
    ]);
  });

  it('names the candidates of a request the recorder could not attribute', () => {
    const rows: CaseRows = passingRows();
    rows.invocations = rows.invocations.map((invocation, index) => ({ ...invocation, role: 'concurrent', startedMs: index, durationMs: 300 }));
    rows.requests = rows.requests.map((request) => ({ ...request, invocationId: null }));
    const timeline = buildTimeline('c', rows);
    const requests = timeline.steps.filter((step) => step.kind === 'request');
    expect(requests[0]).toMatchObject({ attributed: false, candidates: [1, 2], from: 'invocation:1' });
    expect(requests[0]!.text).toContain('sent by invocation 1 or 2');
    expect(timeline.lanes.map((lane) => lane.subtitle).slice(1, 3)).toEqual(['concurrent 1', 'concurrent 2']);
  });

  it('builds the same timeline from the ledger as from the rows it was given', async () => {
    const { Ledger } = await import('../../src/ledger/ledger.js');
    const run = writeSampleRun();
    try {
      const ledger = new Ledger(`${run.runDir}/ledger.sqlite`, { readonly: true });
      const stored = ledger.readCase('create-order/timeout-after-commit@payments#1');
      ledger.close();
      expect(buildTimeline('c', stored, DUPLICATE_CHECKS)).toEqual(buildTimeline('c', timeoutRows(), DUPLICATE_CHECKS));
    } finally {
      run.cleanup();
    }
  });
});
