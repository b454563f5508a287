import { candidateInvocations } from '../checks/check.js';
import { invocationOutcome, operationAttempts, type InvocationOutcome } from '../checks/outcome.js';
import type { CaseRows, EffectRow, InvocationRow, RequestRow } from '../ledger/rows.js';

/**
 * A case's timeline as plain data, built from its ledger rows: one lane per
 * actor (the caller, each target invocation, each upstream) and the steps
 * between them in time order. The HTML report draws it as a sequence diagram
 * and `retryproof show` prints it; neither computes anything of its own.
 */
export interface CaseTimeline {
  caseId: string;
  lanes: Lane[];
  steps: TimelineStep[];
  /** The last moment anything happened, in ms from the case's start. */
  endMs: number;
  /** Effects the no-duplicate-effects check named: they are marked as duplicates. */
  duplicateEffectIds: number[];
  invocations: InvocationDetail[];
}

export type LaneKind = 'caller' | 'invocation' | 'upstream';

export interface Lane {
  /** `caller`, `invocation:<id>` or `upstream:<name>`. */
  id: string;
  kind: LaneKind;
  title: string;
  /** The role of an invocation (attempt, retry 1, replay...), the routes of an upstream. */
  subtitle: string;
}

/** How a step went, for colour: a fault, a failure, a commit, a duplicate... */
export type Tone = 'neutral' | 'ok' | 'fault' | 'failure' | 'unknown' | 'commit' | 'duplicate' | 'replayed';

interface StepBase {
  /** ms from the case's start. */
  atMs: number;
  /** Lane ids; equal for a step inside one lane (a commit). */
  from: string;
  to: string;
  /** The step in words, without its fault (see `fault`). */
  text: string;
  tone: Tone;
}

/** The caller starts an invocation. */
export interface CallStep extends StepBase {
  kind: 'call';
  invocationId: number;
}

/** An invocation sends an upstream request, with the fault the schedule put on it. */
export interface RequestStep extends StepBase {
  kind: 'request';
  requestId: number;
  /** null for no fault. */
  fault: string | null;
  /**
   * False when the recorder could not tell which of several running
   * invocations sent it: then `from` is the first of `candidates`.
   */
  attributed: boolean;
  candidates: number[];
}

/** An upstream commits a side effect: one ledger effect. */
export interface CommitStep extends StepBase {
  kind: 'commit';
  requestId: number;
  effectId: number;
  resourceId: string | null;
  duplicate: boolean;
}

/** What reached the invocation: a response, or nothing (held, reset, truncated, the target killed). */
export interface AnswerStep extends StepBase {
  kind: 'answer';
  requestId: number;
  delivery: RequestRow['delivery'];
  status: number | null;
}

/** An invocation ends: its exit code, HTTP status, or how it was killed. */
export interface ExitStep extends StepBase {
  kind: 'exit';
  invocationId: number;
  outcome: InvocationOutcome;
}

export type TimelineStep = CallStep | RequestStep | CommitStep | AnswerStep | ExitStep;

/** An invocation with what it printed or answered, for the report's detail panels. */
export interface InvocationDetail {
  id: number;
  role: InvocationRow['role'];
  /** "attempt", "retry 1", "replay", "concurrent 2"... */
  label: string;
  key: string;
  /** The command line (command targets), or the request or input sent (http, module). */
  sent: string;
  /** "exit 0", "killed (crash)", "HTTP 201", "threw: ..." */
  ended: string;
  outcome: InvocationOutcome;
  effect: string | null;
  stdout: string;
  stderr: string;
  outputTruncated: boolean;
  startMs: number;
  endMs: number;
}

/** What the timeline needs of the case's checks: the evidence of no-duplicate-effects. */
export interface TimelineChecks {
  checks: ReadonlyArray<{ check: string; status: string; evidence?: { effects?: number[] } }>;
}

/**
 * What counts as success when the report cannot see the scenario's exit-code
 * contract: DESIGN's "success and noop 0". The checks themselves judged with
 * the scenario's own contract; this only colours the timeline.
 */
const REPORT_EXIT_CODES = { success: [0], failure: [] } as const;

export function outcomeOf(invocation: InvocationRow): InvocationOutcome {
  return invocationOutcome(invocation, { success: REPORT_EXIT_CODES.success, failure: REPORT_EXIT_CODES.failure });
}

/** The effect ids the case's failed no-duplicate-effects check names. */
export function duplicateEffectIds(item: TimelineChecks | undefined): number[] {
  const failed = item?.checks.find((check) => check.check === 'no-duplicate-effects' && check.status === 'fail');
  return [...new Set(failed?.evidence?.effects ?? [])].sort((a, b) => a - b);
}

/**
 * Builds a case's timeline from its ledger rows; `item` (the case's result or
 * its stored check rows) marks the duplicate effects.
 *
 * @example
 * const timeline = buildTimeline('create-order/none', ledger.readCase('create-order/none'), result.cases[0]);
 */
export function buildTimeline(caseId: string, rows: CaseRows, item?: TimelineChecks): CaseTimeline {
  const duplicates = duplicateEffectIds(item);
  const labels = invocationLabels(rows.invocations);
  const upstreams = [...new Set(rows.requests.map((request) => request.upstream))];
  for (const effect of rows.effects) if (!upstreams.includes(effect.upstream)) upstreams.push(effect.upstream);

  const lanes: Lane[] = [
    { id: 'caller', kind: 'caller', title: 'caller', subtitle: 'retries, replays, probes' },
    ...rows.invocations.map((invocation): Lane => ({
      id: invocationLane(invocation.id),
      kind: 'invocation',
      title: `invocation ${invocation.id}`,
      subtitle: labels.get(invocation.id)!,
    })),
    ...upstreams.map((upstream): Lane => ({
      id: upstreamLane(upstream),
      kind: 'upstream',
      title: upstream,
      subtitle: [...new Set(rows.requests.filter((request) => request.upstream === upstream).map((request) => request.route))].join(', '),
    })),
  ];

  const steps: Array<TimelineStep & { order: number }> = [];
  const push = (step: TimelineStep, order: number): void => {
    steps.push({ ...step, order });
  };
  for (const invocation of rows.invocations) {
    const outcome = outcomeOf(invocation);
    push({
      kind: 'call',
      atMs: invocation.startedMs,
      from: 'caller',
      to: invocationLane(invocation.id),
      text: `${labels.get(invocation.id)} · key ${invocation.key}`,
      tone: 'neutral',
      invocationId: invocation.id,
    }, 2);
    push({
      kind: 'exit',
      atMs: invocation.startedMs + invocation.durationMs,
      from: invocationLane(invocation.id),
      to: 'caller',
      text: endedText(invocation),
      tone: outcome === 'success' ? 'ok' : outcome === 'failure' ? 'failure' : 'unknown',
      invocationId: invocation.id,
      outcome,
    }, 1);
  }
  for (const request of rows.requests) {
    const candidates = candidateInvocations(rows, request).map((invocation) => invocation.id);
    const sender = candidates[0] === undefined ? 'caller' : invocationLane(candidates[0]);
    const upstream = upstreamLane(request.upstream);
    push({
      kind: 'request',
      atMs: request.startedMs,
      from: sender,
      to: upstream,
      text: requestText(request, candidates),
      tone: request.fault === 'none' ? 'neutral' : 'fault',
      requestId: request.id,
      fault: request.fault === 'none' ? null : request.fault,
      attributed: request.invocationId !== null,
      candidates,
    }, 3);
    for (const effect of rows.effects.filter((row) => row.requestId === request.id)) {
      const duplicate = duplicates.includes(effect.id);
      push({
        kind: 'commit',
        atMs: request.startedMs,
        from: upstream,
        to: upstream,
        text: commitText(effect),
        tone: duplicate ? 'duplicate' : 'commit',
        requestId: request.id,
        effectId: effect.id,
        resourceId: effect.resourceId,
        duplicate,
      }, 4);
    }
    push({
      kind: 'answer',
      atMs: request.endedMs ?? request.startedMs,
      from: upstream,
      to: sender,
      text: answerText(request),
      tone: answerTone(request),
      requestId: request.id,
      delivery: request.delivery,
      status: request.clientStatus,
    }, 0);
  }
  // Effects whose request is not in the ledger (should not happen): still shown.
  const requestIds = new Set(rows.requests.map((request) => request.id));
  for (const effect of rows.effects.filter((row) => !requestIds.has(row.requestId))) {
    push({
      kind: 'commit',
      atMs: 0,
      from: upstreamLane(effect.upstream),
      to: upstreamLane(effect.upstream),
      text: commitText(effect),
      tone: duplicates.includes(effect.id) ? 'duplicate' : 'commit',
      requestId: effect.requestId,
      effectId: effect.id,
      resourceId: effect.resourceId,
      duplicate: duplicates.includes(effect.id),
    }, 4);
  }

  // Time order. At the same millisecond an ending comes before a beginning (an
  // invocation exits, then the caller starts the next), and no step comes before
  // its cause (a request before its commit and its answer, a call before its exit).
  steps.sort((a, b) => a.atMs - b.atMs || a.order - b.order || stepId(a) - stepId(b));
  const ordered = causalOrder(steps.map(({ order: _order, ...step }) => step as TimelineStep));
  const endMs = ordered.reduce((latest, step) => Math.max(latest, step.atMs), 0);
  return {
    caseId,
    lanes,
    steps: ordered,
    endMs,
    duplicateEffectIds: duplicates,
    invocations: rows.invocations.map((invocation) => invocationDetail(invocation, labels.get(invocation.id)!)),
  };
}

export const invocationLane = (id: number): string => `invocation:${id}`;
export const upstreamLane = (name: string): string => `upstream:${name}`;

/** Emits each step only after the steps it depends on, keeping the time order otherwise. */
function causalOrder(sorted: readonly TimelineStep[]): TimelineStep[] {
  const self = (step: TimelineStep): string =>
    step.kind === 'call' || step.kind === 'exit' ? `${step.kind}:${step.invocationId}` : step.kind === 'commit' ? `commit:${step.effectId}` : `${step.kind}:${step.requestId}`;
  const needs = new Map<TimelineStep, string[]>();
  for (const step of sorted) {
    if (step.kind === 'exit') {
      // Its call, and the answers it got by then.
      const answers = sorted.filter((other) => other.kind === 'answer' && other.to === step.from && other.atMs <= step.atMs).map(self);
      needs.set(step, [`call:${step.invocationId}`, ...answers]);
    }
    if (step.kind === 'commit') needs.set(step, [`request:${step.requestId}`]);
    if (step.kind === 'answer') {
      const commits = sorted.filter((other) => other.kind === 'commit' && other.requestId === step.requestId).map(self);
      needs.set(step, [`request:${step.requestId}`, ...commits]);
    }
  }
  const present = new Set(sorted.map(self));
  const seen = new Set<string>();
  const ready = (step: TimelineStep): boolean => (needs.get(step) ?? []).every((key) => seen.has(key) || !present.has(key));
  const out: TimelineStep[] = [];
  let waiting: TimelineStep[] = [];
  const emit = (step: TimelineStep): void => {
    out.push(step);
    seen.add(self(step));
    const now = waiting.filter(ready);
    waiting = waiting.filter((other) => !now.includes(other));
    now.forEach(emit);
  };
  for (const step of sorted) {
    if (ready(step)) emit(step);
    else waiting.push(step);
  }
  return [...out, ...waiting];
}

function stepId(step: TimelineStep): number {
  if (step.kind === 'call' || step.kind === 'exit') return step.invocationId;
  if (step.kind === 'commit') return step.requestId * 1000 + step.effectId;
  return step.requestId;
}

/** "attempt", "retry 1", "retry 2", "replay", "concurrent 2", "mismatch"... */
function invocationLabels(invocations: readonly InvocationRow[]): Map<number, string> {
  const labels = new Map<number, string>();
  const attempts = operationAttempts(invocations).filter((invocation) => invocation.role === 'attempt');
  const concurrent = invocations.filter((invocation) => invocation.role === 'concurrent');
  for (const invocation of invocations) {
    let label: string = invocation.role;
    if (invocation.role === 'attempt') {
      const index = attempts.indexOf(invocation);
      label = index === 0 ? 'attempt' : `retry ${index}`;
    } else if (invocation.role === 'concurrent') {
      label = `concurrent ${concurrent.indexOf(invocation) + 1}`;
    } else if (invocation.role === 'mismatch') {
      label = 'same key, other payload';
    } else if (invocation.role === 'missing-key') {
      label = 'without key';
    }
    labels.set(invocation.id, label);
  }
  return labels;
}

function requestText(request: RequestRow, candidates: readonly number[]): string {
  const key = request.idempotencyKey ? `key ${request.idempotencyKey}` : 'no key';
  const sender = request.invocationId === null && candidates.length > 1 ? ` · sent by invocation ${candidates.join(' or ')}` : '';
  return `${request.method} ${request.path.split('?')[0]} · ${request.upstream} #${request.ordinal} · ${key}${sender}`;
}

function commitText(effect: EffectRow): string {
  return `commit effect ${effect.id}${effect.resourceId ? ` · ${effect.resourceId}` : ''}`;
}

const OUTCOME_WORDS: Partial<Record<RequestRow['outcome'], string>> = {
  replayed: 'replayed from its key, nothing committed',
  unchanged: 'already so, nothing changed',
  'recorded-nothing': 'the handler recorded no effect',
  rejected: 'rejected',
  'not-run': 'not committed',
  unmatched: 'no such route',
};

function answerText(request: RequestRow): string {
  const took = request.endedMs === null ? '' : ` after ${request.endedMs - request.startedMs} ms`;
  const outcome = OUTCOME_WORDS[request.outcome];
  const status = request.clientStatus ?? request.upstreamStatus;
  switch (request.delivery) {
    case 'response':
      return `${request.clientStatus ?? 'no status'}${outcome ? ` · ${outcome}` : ''}`;
    case 'held':
      return `no answer: held until the client gave up${took}`;
    case 'reset':
      return `connection reset, no answer${request.committed ? ' (after commit)' : ''}`;
    case 'truncated':
      return `${status ?? ''} truncated body, then reset`.trim();
    case 'crashed':
      // A crash "after commit" fires once the upstream's logic ran, which may have refused the request.
      if (request.committed) return 'target killed at commit';
      if (request.outcome === 'not-run') return 'target killed on arrival';
      if (request.outcome === 'rejected') return `target killed after ${request.upstream} refused it (${request.upstreamStatus ?? 'no status'}), nothing committed`;
      return `target killed after ${request.upstream} answered ${request.upstreamStatus ?? 'no status'}${outcome ? ` (${outcome})` : ''}, before the answer reached it`;
    case 'abandoned':
      return `client gave up${took}; the late answer was not sent`;
  }
}

function answerTone(request: RequestRow): Tone {
  if (request.outcome === 'replayed') return 'replayed';
  if (request.delivery !== 'response') return 'fault';
  const status = request.clientStatus ?? 0;
  return status >= 200 && status < 400 ? 'ok' : 'failure';
}

/** "exit 0 · order created: cha_2", "killed (crash)", "HTTP 201", "no response: ..." */
export function endedText(invocation: InvocationRow): string {
  const firstLine = (text: string): string => {
    const line = text.split('\n').find((item) => item.trim() !== '')?.trim() ?? '';
    return line.length > 80 ? `${line.slice(0, 79)}…` : line;
  };
  let how: string;
  if (invocation.killed) how = `killed (${invocation.killReason ?? 'by the harness'})`;
  else if (invocation.signal) how = `ended by ${invocation.signal}`;
  else if (invocation.targetKind === 'http') how = invocation.httpStatus === null || invocation.httpStatus === undefined ? `no response${invocation.error ? `: ${invocation.error}` : ''}` : `HTTP ${invocation.httpStatus}`;
  else if (invocation.targetKind === 'module') how = invocation.error ? `threw: ${invocation.error}` : 'returned';
  else how = `exit ${invocation.exitCode}`;
  const effect = invocation.effect ? ` · effect ${invocation.effect}` : '';
  const said = invocation.effect ? '' : firstLine(invocation.stdout) || firstLine(invocation.stderr);
  return `${how}${effect}${said ? ` · ${said}` : ''}`;
}

function invocationDetail(invocation: InvocationRow, label: string): InvocationDetail {
  const sent =
    invocation.targetKind === 'http' || invocation.targetKind === 'module'
      ? JSON.stringify(invocation.request ?? null)
      : invocation.argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`)).join(' ');
  return {
    id: invocation.id,
    role: invocation.role,
    label,
    key: invocation.key,
    sent,
    ended: endedText(invocation),
    outcome: outcomeOf(invocation),
    effect: invocation.effect,
    stdout: invocation.stdout,
    stderr: invocation.stderr,
    outputTruncated: invocation.outputTruncated,
    startMs: invocation.startedMs,
    endMs: invocation.startedMs + invocation.durationMs,
  };
}
