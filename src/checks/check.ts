import type { CaseRows, EffectRow, InvocationRow, RequestRow, TargetKind } from '../ledger/rows.js';
import type { Schedule } from '../core/schedule.js';
import type { Scenario } from '../scenario/load.js';
import { templateReferences } from '../scenario/template.js';
import type { UpstreamTraits } from '../upstream/model.js';
import type { CheckName } from '../core/check-names.js';
import type { CheckResult, Evidence } from '../core/check-result.js';

/** What the clean run of an operation committed: the reference for every faulted case. */
export interface Baseline {
  operation: string;
  effects: EffectRow[];
  /** Effects per `upstream route`. */
  routeCounts: ReadonlyMap<string, number>;
}

export interface ExitCodeContract {
  success: readonly number[];
  failure: readonly number[];
}

export interface CheckInput {
  operation: string;
  schedule: Schedule;
  /** The case as the ledger holds it. */
  rows: CaseRows;
  baseline: Baseline;
  exitCodes: ExitCodeContract;
  traits: ReadonlyMap<string, UpstreamTraits>;
  /**
   * What the checks need to know about the scenario beyond the case. Absent in
   * hand-built inputs: then `scenarioFacts` fills in the scenario schema's
   * defaults, and the target kind is read from the invocation rows.
   */
  scenario?: CheckScenario;
  /**
   * How the machine behaved while the case ran. Absent in hand-built inputs
   * (then no scheduling noise is assumed).
   */
  timing?: CaseTiming;
}

/** What timing checks need to know about the machine during the case. */
export interface CaseTiming {
  /** The longest delay of the harness's own event loop while the case ran (ms): a measured wait may be off by about this much. */
  schedulingNoiseMs: number;
}

/** The scenario fields some checks read (see `checkScenarioOf`). */
export interface CheckScenario {
  targetKind: TargetKind;
  /** retry-policy's limits. */
  retryPolicy: { maxAttempts: number; retryAfterToleranceMs: number };
  /** outcome-honesty: a dishonest failure is a 'fail' instead of a 'warn'. */
  strictOutcomeHonesty: boolean;
  /** http: a mutating request without Idempotency-Key must get 400. */
  requireKey: boolean;
  /** http: replayed responses must carry `Idempotent-Replayed: true`. */
  replayedHeader: boolean;
  /** Operations whose target is not handed the caller's key (no {{key}} in a command's argv, args or env): it makes its own. */
  keyWithheldFrom: string[];
}

/** The CheckScenario of a loaded scenario: what the runner passes to every check. */
export function checkScenarioOf(scenario: Pick<Scenario, 'target' | 'operations' | 'retryPolicy' | 'strictOutcomeHonesty'>): CheckScenario {
  const target = scenario.target;
  return {
    targetKind: target.kind,
    retryPolicy: { ...scenario.retryPolicy },
    strictOutcomeHonesty: scenario.strictOutcomeHonesty,
    requireKey: target.kind === 'http' ? target.requireKey : false,
    replayedHeader: target.kind === 'http' ? target.replayedHeader : false,
    keyWithheldFrom: keyWithheldFrom(scenario),
  };
}

/** A command gets the caller's key only through {{key}}; an http request carries it in keyHeader, a module's ctx has it. */
function keyWithheldFrom(scenario: Pick<Scenario, 'target' | 'operations'>): string[] {
  const target = scenario.target;
  if (target.kind !== 'command') return [];
  const usesKey = (texts: readonly string[]): boolean => texts.some((text) => templateReferences(text).includes('key'));
  if (usesKey([...target.argv, ...Object.values(target.env)])) return [];
  return scenario.operations.filter((operation) => !usesKey([...operation.args, ...Object.values(operation.env ?? {})])).map((operation) => operation.name);
}

/**
 * "Bounded" when the scenario sets no limit: the target stops on its own
 * within 10 requests in a row without success. Generous on purpose: popular
 * clients retry 2-6 times by default (Stripe's and AWS's SDKs, got,
 * axios-retry), and a bound nobody chose must not fail one of them.
 */
export const DEFAULT_MAX_ATTEMPTS = 10;

/** The scenario schema's defaults, for inputs built without a scenario. */
export const DEFAULT_CHECK_SCENARIO: Omit<CheckScenario, 'targetKind'> = {
  retryPolicy: { maxAttempts: DEFAULT_MAX_ATTEMPTS, retryAfterToleranceMs: 100 },
  strictOutcomeHonesty: false,
  requireKey: false,
  replayedHeader: false,
  keyWithheldFrom: [],
};

/** `input.scenario`, or the defaults with the target kind the rows record. */
export function scenarioFacts(input: Pick<CheckInput, 'scenario' | 'rows'>): CheckScenario {
  if (input.scenario) return input.scenario;
  return { ...DEFAULT_CHECK_SCENARIO, targetKind: input.rows.invocations.find((row) => row.targetKind)?.targetKind ?? 'command' };
}

export type { CheckResult, Evidence } from '../core/check-result.js';

/** An invariant over one case. It returns a verdict as data; only harness bugs throw. */
export interface Check {
  readonly name: CheckName;
  /** When it holds, in one sentence (the README's table). */
  readonly holdsWhen: string;
  evaluate(input: CheckInput): CheckResult;
}

export function pass(check: CheckName, message: string): CheckResult {
  return { check, status: 'pass', message };
}

export function fail(check: CheckName, message: string, evidence: Evidence): CheckResult {
  return { check, status: 'fail', message, evidence };
}

export function skip(check: CheckName, message: string): CheckResult {
  return { check, status: 'skip', message };
}

export function warn(check: CheckName, message: string, evidence: Evidence): CheckResult {
  return { check, status: 'warn', message, evidence };
}

/** `upstream route` → count. */
export function countByRoute(effects: readonly EffectRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const effect of effects) {
    const key = `${effect.upstream} ${effect.route}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** fingerprint → count: the multiset the oracle compares. */
export function countByFingerprint(effects: readonly EffectRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const effect of effects) counts.set(effect.fingerprint, (counts.get(effect.fingerprint) ?? 0) + 1);
  return counts;
}

/** A clean-run effect in words, to name what is missing or doubled: `payments POST /charges {"amount":100}`. */
export function describeExpected(effect: EffectRow): string {
  const body = effect.body.length > 60 ? `${effect.body.slice(0, 57)}...` : effect.body;
  return `${effect.upstream} ${effect.route}${body ? ` ${body}` : ''}`;
}

/** "effect 2 (cha_2, by request 3, key rp-…-1)"; a row of the target's own state: "effect 2 (found in db orders: {...})" */
export function describeEffect(effect: EffectRow): string {
  if (isStateEffect(effect)) return `effect ${effect.id} (found in ${effect.upstream} ${effect.route} after the case: ${effect.body.length > 80 ? `${effect.body.slice(0, 77)}...` : effect.body})`;
  const parts = [effect.resourceId, `request ${effect.requestId}`, effect.key ? `key ${effect.key}` : 'no key'].filter(Boolean);
  return `effect ${effect.id} (${parts.join(', ')})`;
}

export function describeInvocation(invocation: InvocationRow): string {
  const how = invocation.killed
    ? `killed (${invocation.killReason})`
    : invocation.signal
      ? `ended by ${invocation.signal}`
      : invocation.targetKind === 'http'
        ? invocation.httpStatus === null || invocation.httpStatus === undefined
          ? `no response${invocation.error ? `: ${invocation.error}` : ''}`
          : `HTTP ${invocation.httpStatus}`
        : `exit ${invocation.exitCode}`;
  return `invocation ${invocation.id} (${invocation.role}, ${how})`;
}

/** "request 3 (POST /charges to payments, fault 503-before-commit, got 503)" */
export function describeRequest(request: RequestRow): string {
  const got = request.clientStatus !== null ? `got ${request.clientStatus}` : request.delivery === 'response' ? 'no answer' : `${request.delivery}`;
  const fault = request.fault === 'none' ? '' : `, fault ${request.fault}`;
  return `request ${request.id} (${request.method} ${request.path.split('?')[0]} to ${request.upstream}${fault}, ${got})`;
}

/**
 * What a fault of the schedule did to one request, in words: the fault, what
 * the upstream did with the request (a fault named "after commit" runs the
 * upstream's logic, which may refuse it and commit nothing) and what reached
 * the client. "crash-after-commit on request 2: payments refused it (422),
 * nothing committed; the target was killed before the answer reached it"
 */
export function describeFaultOutcome(request: RequestRow): string {
  const { upstream } = request;
  const status = request.upstreamStatus === null ? '' : ` (${request.upstreamStatus})`;
  const did: Record<RequestRow['outcome'], string> = {
    committed: `${upstream} committed it${status}`,
    replayed: `${upstream} answered it from its key store${status}, nothing committed`,
    unchanged: `${upstream} was already in the state it asked for${status}, nothing changed`,
    read: `${upstream} answered it${status}`,
    rejected: `${upstream} refused it${status}, nothing committed`,
    'recorded-nothing': `${upstream} handled it${status} and recorded no effect`,
    'not-run': `${upstream} did not run it, nothing committed`,
    unmatched: `${upstream} has no route for it${status}, nothing committed`,
  };
  const reached: Record<RequestRow['delivery'], string> = {
    // No status recorded: the request was still in flight when the case's upstreams closed.
    response: request.clientStatus === null ? 'no answer reached the client' : `the client got ${request.clientStatus}`,
    held: 'the answer was held until the client gave up',
    reset: 'the connection was reset before any answer',
    truncated: `the answer${request.clientStatus === null ? '' : ` (${request.clientStatus})`} was cut off`,
    crashed: request.outcome === 'not-run' ? 'the target was killed as the request arrived' : 'the target was killed before the answer reached it',
    abandoned: 'the client gave up before the answer',
  };
  return `${request.fault} on request ${request.id}: ${did[request.outcome]}; ${reached[request.delivery]}`;
}

/**
 * Whether an effect is a row of the target's own state (a state probe's,
 * src/state/): it belongs to no request, since the state is read once the
 * case is over, so no invocation is known to have made it.
 */
export function isStateEffect(effect: EffectRow): boolean {
  return effect.requestId === 0;
}

/** The upstream requests attributed to an invocation, in order. */
export function requestsOf(rows: CaseRows, invocationId: number): RequestRow[] {
  return rows.requests.filter((request) => request.invocationId === invocationId);
}

/** The effects committed by any of these requests. */
export function effectsOfRequests(rows: CaseRows, requests: readonly RequestRow[]): EffectRow[] {
  const ids = new Set(requests.map((request) => request.id));
  return rows.effects.filter((effect) => ids.has(effect.requestId));
}

/** Whether an HTTP method asks for a change (anything but GET, HEAD and OPTIONS). */
export function isMutatingMethod(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
}

/**
 * The invocations that may have sent a request: the one the recorder
 * attributed it to, or, for a request sent while several were running (it is
 * recorded without invocation), every invocation running at that moment.
 */
export function candidateInvocations(rows: CaseRows, request: RequestRow): InvocationRow[] {
  if (request.invocationId !== null) return rows.invocations.filter((invocation) => invocation.id === request.invocationId);
  return rows.invocations.filter(
    (invocation) => invocation.startedMs <= request.startedMs && request.startedMs <= invocation.startedMs + invocation.durationMs,
  );
}

/**
 * The response body of an invocation as data: an http target's parsed JSON
 * body (or its text when it is not JSON), a command's or module's JSON output.
 * The target sessions record the body's text in `stdout` and its parse in
 * `stdoutJson`; null when there was none.
 */
export function responseBody(invocation: InvocationRow): unknown {
  if (invocation.stdoutJson !== null && invocation.stdoutJson !== undefined) return invocation.stdoutJson;
  return invocation.stdout === '' ? null : invocation.stdout;
}

/**
 * The resource a command's or module's result names: its top-level `id`
 * field (undefined when it prints none, or null: it does not know). Two
 * answers for one key must name the same resource; other fields (messages,
 * timings) may legitimately differ.
 */
export function resultId(invocation: InvocationRow): unknown {
  const body = responseBody(invocation);
  if (body && typeof body === 'object' && !Array.isArray(body)) return (body as Record<string, unknown>).id ?? undefined;
  return undefined;
}

/** A response header of an http invocation, by case-insensitive name. */
export function responseHeader(invocation: InvocationRow, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [header, value] of Object.entries(invocation.responseHeaders ?? {})) {
    if (header.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** Structural equality of JSON values (object key order ignored). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  const left = Object.keys(a);
  const right = Object.keys(b);
  return left.length === right.length && left.every((key) => Object.hasOwn(b, key) && sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/**
 * Where two JSON values first differ, in words: `at .order.id: "ord_2" vs
 * "ord_1"`. Two long bodies cut at the same length can read the same; the
 * path and the two values there cannot. Undefined when they are equal.
 */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (sameJson(a, b)) return undefined;
  const bothObjects = typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && Array.isArray(a) === Array.isArray(b);
  if (bothObjects) {
    const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])];
    for (const key of keys) {
      const step = Array.isArray(a) ? `[${key}]` : `.${key}`;
      const left = (a as Record<string, unknown>)[key];
      const right = (b as Record<string, unknown>)[key];
      if (left === undefined || right === undefined) return `at ${path}${step}: ${left === undefined ? 'missing' : shortJson(left, 60)} vs ${right === undefined ? 'missing' : shortJson(right, 60)}`;
      const inner = firstDifference(left, right, `${path}${step}`);
      if (inner) return inner;
    }
  }
  return `at ${path || 'the top'}: ${shortJson(a, 60)} vs ${shortJson(b, 60)}`;
}

/** A short rendering of a value for messages. */
export function shortJson(value: unknown, max = 120): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * The effects that belong to the operation itself: not those committed by a
 * probe's extra invocation (a mismatch, a dry run, a request without key),
 * which the probe's own check judges.
 */
export function operationEffects(rows: CaseRows): EffectRow[] {
  const probeInvocations = new Set(
    rows.invocations.filter((invocation) => PROBE_ROLES.includes(invocation.role)).map((invocation) => invocation.id),
  );
  const probeRequests = new Set(
    rows.requests.filter((request) => request.invocationId !== null && probeInvocations.has(request.invocationId)).map((request) => request.id),
  );
  return rows.effects.filter((effect) => !probeRequests.has(effect.requestId));
}

const PROBE_ROLES: readonly InvocationRow['role'][] = ['mismatch', 'dry-run', 'missing-key'];
