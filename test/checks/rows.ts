/**
 * Builders of ledger rows for the checks' unit tests: a case written by hand,
 * with the defaults of a plain command target that charges once.
 */
import { countByRoute, type Baseline, type CheckInput, type ExitCodeContract } from '../../src/checks/check.js';
import type { CaseRows, EffectRow, InvocationRow, RequestRow } from '../../src/ledger/rows.js';
import type { UpstreamTraits } from '../../src/upstream/model.js';

export const OPERATION = 'create-order';
export const CASE = 'create-order/timeout-after-commit@payments#1';
export const KEY = 'rp-0123456789ab-1';
export const CHARGES = 'payments POST /charges';
export const EMAILS = 'mailer POST /messages';

/** An invocation that printed `{"effect": effect}` and exited `exitCode`. */
export function invocation(id: number, overrides: Partial<InvocationRow> = {}): InvocationRow {
  const effect = overrides.effect === undefined ? 'created' : overrides.effect;
  const stdoutJson = effect === null ? null : { ok: true, effect };
  const row: InvocationRow = {
    caseId: CASE,
    id,
    seq: id,
    role: 'attempt',
    key: KEY,
    argv: ['node', 'tool.mjs', 'create', '--key', KEY],
    exitCode: 0,
    signal: null,
    killed: false,
    killReason: null,
    effect,
    stdoutJson,
    stdout: stdoutJson === null ? '' : `${JSON.stringify(stdoutJson)}\n`,
    stderr: '',
    outputTruncated: false,
    startedMs: id * 100,
    durationMs: 50,
    ...overrides,
  };
  return row;
}

/** An invocation the harness killed (its timeout, or a crash fault): no exit code, no output. */
export function killed(id: number, overrides: Partial<InvocationRow> = {}): InvocationRow {
  return invocation(id, {
    exitCode: null,
    signal: 'SIGKILL',
    killed: true,
    killReason: 'crash',
    effect: null,
    stdoutJson: null,
    stdout: '',
    ...overrides,
  });
}

/** An invocation that printed `stdout` as is (parsed as the harness would: JSON if it is JSON). */
export function printed(id: number, stdout: string, overrides: Partial<InvocationRow> = {}): InvocationRow {
  let stdoutJson: unknown = null;
  try {
    stdoutJson = JSON.parse(stdout);
  } catch {
    stdoutJson = null;
  }
  const effect =
    stdoutJson && typeof stdoutJson === 'object' && !Array.isArray(stdoutJson) && typeof (stdoutJson as { effect?: unknown }).effect === 'string'
      ? ((stdoutJson as { effect: string }).effect)
      : null;
  return invocation(id, { stdout, stdoutJson, effect, ...overrides });
}

/** A POST to payments /charges made by `invocationId`. */
export function request(id: number, invocationId: number | null, overrides: Partial<RequestRow> = {}): RequestRow {
  return {
    caseId: CASE,
    id,
    invocationId,
    upstream: 'payments',
    ordinal: id,
    method: 'POST',
    path: '/charges',
    route: 'POST /charges',
    idempotencyKey: KEY,
    body: '{"amount":100}',
    bodyFingerprint: 'payments POST /charges amount-100',
    fault: 'none',
    committed: true,
    outcome: 'committed',
    delivery: 'response',
    upstreamStatus: 201,
    clientStatus: 201,
    startedMs: id * 100 + 10,
    endedMs: id * 100 + 20,
    ...overrides,
  };
}

/** A charge of 100 on payments, committed by request `requestId`. */
export function effect(id: number, requestId: number, overrides: Partial<EffectRow> = {}): EffectRow {
  return {
    caseId: CASE,
    id,
    operation: OPERATION,
    upstream: 'payments',
    route: 'POST /charges',
    key: KEY,
    resourceId: `cha_${id}`,
    requestId,
    body: '{"amount":100}',
    fingerprint: 'payments POST /charges amount-100',
    ...overrides,
  };
}

/** An email sent by request `requestId`. */
export function email(id: number, requestId: number, overrides: Partial<EffectRow> = {}): EffectRow {
  return effect(id, requestId, {
    upstream: 'mailer',
    route: 'POST /messages',
    resourceId: `msg_${id}`,
    body: '{"to":"alice@example.com"}',
    fingerprint: 'mailer POST /messages to-alice',
    ...overrides,
  });
}

/** The clean run's reference, from the effects it committed. */
export function baselineOf(effects: EffectRow[]): Baseline {
  const rows = effects.map((row) => ({ ...row, caseId: `${OPERATION}/baseline` }));
  return { operation: OPERATION, effects: rows, routeCounts: countByRoute(rows) };
}

/** One charge: the clean run of most operations. */
export const ONE_CHARGE = (): Baseline => baselineOf([effect(1, 1)]);

export const TRAITS: ReadonlyMap<string, UpstreamTraits> = new Map([
  ['payments', { deduplicates: false, lookup: true, noun: 'charge', ignoreFields: [] }],
  ['mailer', { deduplicates: false, lookup: false, noun: 'email', ignoreFields: [] }],
]);

export interface CaseSpec {
  invocations?: InvocationRow[];
  requests?: RequestRow[];
  effects?: EffectRow[];
  baseline?: Baseline;
  exitCodes?: ExitCodeContract;
  traits?: ReadonlyMap<string, UpstreamTraits>;
}

/** A CheckInput for one case of `create-order`. */
export function caseInput(spec: CaseSpec = {}): CheckInput {
  const rows: CaseRows = {
    invocations: spec.invocations ?? [],
    requests: spec.requests ?? [],
    effects: spec.effects ?? [],
  };
  return {
    operation: OPERATION,
    schedule: {
      operation: OPERATION,
      faults: [{ upstream: 'payments', ordinal: 1, fault: 'timeout-after-commit' }],
      caller: { retries: 2, key: 'same', replay: true, delayMs: 0 },
    },
    rows,
    baseline: spec.baseline ?? ONE_CHARGE(),
    exitCodes: spec.exitCodes ?? { success: [0], failure: [1] },
    traits: spec.traits ?? TRAITS,
  };
}
