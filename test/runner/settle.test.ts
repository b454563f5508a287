/**
 * The settle window (src/runner/settle.ts) and how the recorder attributes
 * the requests it catches: a quiet target costs the quiet time less the time
 * since its last answer (a command's, nothing), a request in flight keeps the
 * window open until it is answered, a target that keeps sending is cut off at
 * the cap; a late request is the last-answered invocation's when that one
 * started with the target quiet, else no invocation's.
 */
import { describe, expect, it } from 'vitest';
import { CaseRecorder } from '../../src/runner/recorder.js';
import { DEFAULT_QUIET_MS, settleSettings, settleWindow } from '../../src/runner/settle.js';
import type { InvocationRow, RequestRow } from '../../src/ledger/rows.js';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function request(recorder: CaseRecorder): RequestRow {
  return recorder.startRequest({
    upstream: 'payments', ordinal: 1, method: 'POST', path: '/charges', route: 'POST /charges', idempotencyKey: null, body: '{}',
    bodyFingerprint: '', fault: 'none', committed: false, outcome: 'not-run', delivery: 'response', upstreamStatus: null, clientStatus: null,
  });
}

/** Runs one invocation on the recorder: started, live for `ms`, answered. */
async function invocation(recorder: CaseRecorder, ms = 0): Promise<number> {
  const id = recorder.nextInvocationId();
  recorder.live.add(id);
  if (ms) await sleep(ms);
  recorder.live.delete(id);
  recorder.addInvocation({ id } as InvocationRow);
  return id;
}

describe('settleSettings', () => {
  it('defaults by target kind, and a scenario overrides both numbers', () => {
    expect(settleSettings({ target: { kind: 'http' } } as never)).toEqual({ quietMs: DEFAULT_QUIET_MS.http, maxMs: 2_000 });
    expect(settleSettings({ target: { kind: 'command' } } as never)).toEqual({ quietMs: 0, maxMs: 2_000 });
    expect(settleSettings({ target: { kind: 'module' }, settle: { quietMs: 7, maxMs: 300 } } as never)).toEqual({ quietMs: 7, maxMs: 300 });
  });
});

describe('settleWindow', () => {
  it('closes at once for quietMs 0 with nothing in flight (a command target: no timer at all)', async () => {
    const recorder = new CaseRecorder('c', 'op');
    await invocation(recorder);
    const report = await settleWindow(() => 0, recorder, { quietMs: 0, maxMs: 2_000 });
    expect(report).toMatchObject({ quiet: true, inFlight: 0 });
    expect(report.waitedMs).toBeLessThan(5);
  });

  it('a quiet target costs quietMs from its last answer, not from the window\'s start', async () => {
    const recorder = new CaseRecorder('c', 'op');
    await invocation(recorder);
    await sleep(200);
    const quietAlready = recorder.quietFor(); // 200 ms, or more on a loaded machine
    const report = await settleWindow(() => 0, recorder, { quietMs: 250, maxMs: 2_000 });
    expect(report.quiet).toBe(true);
    expect(recorder.quietFor()).toBeGreaterThanOrEqual(250);
    // What was left of the quiet time, plus a busy machine's timer slack: never the whole 250 ms again.
    expect(report.waitedMs).toBeLessThan(Math.max(0, 250 - quietAlready) + 150);
  });

  it('stays open while a request is in flight, and then for quietMs after its answer', async () => {
    const recorder = new CaseRecorder('c', 'op');
    await invocation(recorder);
    let inFlight = 1;
    setTimeout(() => {
      inFlight = 0;
      recorder.touch(); // the delivery
    }, 150);
    const report = await settleWindow(() => inFlight, recorder, { quietMs: 20, maxMs: 2_000 });
    expect(report.quiet).toBe(true);
    expect(report.waitedMs).toBeGreaterThanOrEqual(165);
  });

  it('a late request restarts the quiet time; one that never stops is cut off at maxMs, not quiet', async () => {
    const recorder = new CaseRecorder('c', 'op');
    await invocation(recorder);
    recorder.beginSettling();
    const late = setTimeout(() => request(recorder), 40);
    const once = await settleWindow(() => 0, recorder, { quietMs: 60, maxMs: 2_000 });
    clearTimeout(late);
    expect(once.quiet).toBe(true);
    expect(once.waitedMs).toBeGreaterThanOrEqual(95);
    expect(recorder.late).toEqual([1]);

    const chatty = setInterval(() => request(recorder), 10);
    try {
      const capped = await settleWindow(() => 0, recorder, { quietMs: 150, maxMs: 200 });
      expect(capped.quiet).toBe(false);
      expect(capped.waitedMs).toBeGreaterThanOrEqual(200);
      expect(capped.waitedMs).toBeLessThan(400);
    } finally {
      clearInterval(chatty);
    }
  });
});

describe('a request while no invocation is live', () => {
  it('is the last-answered invocation\'s when that one started with the target quiet', async () => {
    const recorder = new CaseRecorder('c', 'op');
    recorder.quietMs = 30;
    await invocation(recorder, 5);
    expect(request(recorder).invocationId).toBe(1);
    await sleep(40);
    await invocation(recorder, 5);
    expect(request(recorder).invocationId).toBe(2);
  });

  it('is no invocation\'s when the last one started right after an answer: it may be the earlier one\'s late work', async () => {
    const recorder = new CaseRecorder('c', 'op');
    recorder.quietMs = 30;
    await invocation(recorder, 5);
    await invocation(recorder, 5); // the replay, at once
    expect(request(recorder).invocationId).toBeNull();
  });

  it('with quietMs 0 (a command: nothing of an invocation outlives it) is always the last-answered one\'s', async () => {
    const recorder = new CaseRecorder('c', 'op');
    await invocation(recorder);
    await invocation(recorder);
    expect(request(recorder).invocationId).toBe(2);
  });
});
