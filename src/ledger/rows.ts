/**
 * The rows of a case as plain data: what the ledger stores and what the checks
 * read. Ids are per case (1, 2, 3...), so the same schedule gives the same ids.
 */
/**
 * Why the caller made an invocation: its attempts and replay, or one of the
 * fixed probes (same key with another payload, a concurrent duplicate, a dry
 * run, a request without its key).
 */
export type InvocationRole = 'baseline' | 'attempt' | 'replay' | 'mismatch' | 'concurrent' | 'dry-run' | 'missing-key';
export type TargetKind = 'command' | 'http' | 'module';

export interface InvocationRow {
  caseId: string;
  id: number;
  /** 1-based position in the caller's sequence. */
  seq: number;
  role: InvocationRole;
  key: string;
  argv: string[];
  exitCode: number | null;
  signal: string | null;
  killed: boolean;
  /** Why the harness killed it: its timeout, or a crash fault. */
  killReason: 'timeout' | 'crash' | null;
  /** The `effect` field of its JSON output, if it printed one. */
  effect: string | null;
  stdoutJson: unknown;
  stdout: string;
  stderr: string;
  outputTruncated: boolean;
  startedMs: number;
  durationMs: number;
  /** Absent in rows written before http and module targets existed: then 'command'. */
  targetKind?: TargetKind;
  /** http targets: the response status, or null when no response came (timeout, reset). */
  httpStatus?: number | null;
  responseHeaders?: Record<string, string> | null;
  /** A transport error (http) or the thrown error (module), in words. */
  error?: string | null;
  /** What the caller sent: the http request, or the module's input. */
  request?: unknown;
}

/** What the upstream's own logic did with a request. */
/** 'unchanged': the upstream was already in the requested state (a naturally idempotent PUT). 'recorded-nothing': a mutating request whose handler recorded no effect. */
export type RequestOutcome = 'committed' | 'replayed' | 'unchanged' | 'read' | 'rejected' | 'recorded-nothing' | 'not-run' | 'unmatched';
/** What actually reached the client ('abandoned': the client gave up before a late answer was sent). */
export type Delivery = 'response' | 'held' | 'reset' | 'truncated' | 'crashed' | 'abandoned';

export interface RequestRow {
  caseId: string;
  id: number;
  invocationId: number | null;
  upstream: string;
  /** 1-based position among this case's requests to this upstream. */
  ordinal: number;
  method: string;
  path: string;
  /** The handler's route, e.g. `POST /charges`. */
  route: string;
  idempotencyKey: string | null;
  body: string;
  bodyFingerprint: string;
  fault: string;
  committed: boolean;
  outcome: RequestOutcome;
  delivery: Delivery;
  /** The status the upstream's logic answered with (before the fault), if any. */
  upstreamStatus: number | null;
  /** The status the client received, if it received one. */
  clientStatus: number | null;
  startedMs: number;
  endedMs: number | null;
}

export interface EffectRow {
  caseId: string;
  id: number;
  operation: string;
  upstream: string;
  route: string;
  key: string | null;
  resourceId: string | null;
  requestId: number;
  body: string;
  /** (upstream, route, normalised body): how effects are compared with the clean run. */
  fingerprint: string;
}

export interface CaseRows {
  invocations: InvocationRow[];
  requests: RequestRow[];
  effects: EffectRow[];
}
