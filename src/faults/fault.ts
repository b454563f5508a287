/**
 * A fault decides what the client of an upstream sees for one request.
 *
 * Every fault has one shape: whether the upstream gets to do the work
 * (`commits`), and an `outcome` that turns the upstream's real response (present
 * exactly when `commits` is true) into what reaches the client. Where and when a
 * fault applies (upstream, route, ordinal) lives in a `FaultBinding`, not here:
 * a fault knows only its own parameters.
 */
export type Outcome =
  /** Answer normally (after `delayMs`, if any). */
  | { kind: 'respond'; response: Response; delayMs?: number }
  /** Keep the connection open without answering until the client gives up or the hold limit passes. */
  | { kind: 'hold' }
  /** Destroy the connection before any byte of the answer. */
  | { kind: 'reset' }
  /** Send the status line, headers and `bytes` bytes of the body, then destroy the connection. */
  | { kind: 'truncate'; response: Response; bytes: number }
  /** Kill the target's process group, then drop the connection. */
  | { kind: 'crash' };

export interface FaultParams {
  /**
   * Seconds for a Retry-After header, where the fault sends one; null sends
   * none (503-before-commit sends one by default, see its file).
   */
  retryAfterSeconds?: number | null;
  /** Extra latency for `slow`, in milliseconds. */
  delayMs?: number;
  /** Body bytes sent before the reset, for `truncate-after-commit`. */
  truncateBytes?: number;
  /** Wait this long before the upstream does the work (used to hold a race window open). */
  delayBeforeCommitMs?: number;
  /** The status of `permanent-error`. */
  status?: number;
}

export interface Fault {
  readonly name: string;
  /** Does the upstream perform the side effect? */
  readonly commits: boolean;
  /** Words for reports: "timeout after commit". */
  readonly words: string;
  /** What the client sees, in a few words. */
  readonly clientSees: string;
  /**
   * `errorBody` words an error answer the way the faulted upstream does (its
   * model's style or its scenario entry's `errorBody`), so the client can parse it.
   */
  outcome(response: Response | null, params: FaultParams, errorBody?: ErrorBody): Outcome;
  /**
   * An optional ability: after this request, the target process is restarted
   * gracefully before the caller's next invocation (only where the harness
   * started it; `restart-after-commit`).
   */
  readonly restartsTarget?: boolean;
}

/** How an upstream words an error answer: the JSON body for a status and a message. */
export type ErrorBody = (status: number, message: string) => unknown;

/** `{"error": "service unavailable"}`: the body of an upstream that declares no other. */
export const plainErrorBody: ErrorBody = (_status, message) => ({ error: message });

/** A JSON error answer in the upstream's words. */
export function errorResponse(status: number, message: string, headers: Record<string, string> = {}, errorBody: ErrorBody = plainErrorBody): Response {
  return new Response(JSON.stringify(errorBody(status, message)), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}
