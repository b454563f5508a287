import type { CaseRows, EffectRow, InvocationRow, RequestRow } from '../ledger/rows.js';
import { fingerprint, idLikeValuesIn, normaliseBody } from '../upstream/fingerprint.js';
import type { UpstreamTraits } from '../upstream/model.js';
import { traitsFor } from '../upstream/route-traits.js';


/**
 * Collects one case's rows in memory while it runs; the ledger writes them in
 * one transaction when the case is over. Fingerprints are computed at the end,
 * once every key the caller used is known.
 */
export class CaseRecorder {
  readonly invocations: InvocationRow[] = [];
  readonly requests: RequestRow[] = [];
  private readonly effects: EffectRow[] = [];
  /**
   * Invocations running now: a request is attributed to the live invocation
   * whose own port it came in on (a loopback door, see loopback-server.ts), or
   * else to the only live one; with several live and no door, to none.
   */
  readonly live = new Set<number>();
  readonly keys = new Set<string>();
  /** Uuids the caller gave the target (the operation's input, the target's settings): data, kept in fingerprints. */
  private readonly callerUuids = new Set<string>();
  private readonly started = performance.now();
  private invocationCount = 0;
  /**
   * The invocation whose answer came last, if a request sent while none is live
   * can only be its work (background work, a late handler): it started when the
   * target had been quiet for `quietMs` (or first). One that started right after
   * another's answer leaves such a request unattributed: it may be either's.
   */
  private lastAnswered: number | null = null;
  /** Invocations that started with the target quiet (see lastAnswered). */
  private readonly startedQuiet = new Set<number>();
  /** The settle window's quiet time: how long the target must have been silent for the next invocation to start clean. */
  quietMs = 0;
  /** When the target last did something the harness saw: an answer, a request, a delivery (ms, as `now()`). */
  private lastActivity = 0;
  /** Set when the caller's sequence is over: requests after it are late (the settle window's). */
  private settling = false;
  /** Ids of the requests that came after the caller's last answer. */
  readonly late: number[] = [];
  /** Invocations the caller gave up on that stay live (see linger). */
  private readonly lingering = new Set<number>();
  /** When the caller last gave up on one (ms, as quietFor's clock): the API had its request until then. */
  private lingerSince = 0;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  private finished = false;

  constructor(
    readonly caseId: string,
    readonly operation: string,
  ) {}

  now(): number {
    return Math.round(performance.now() - this.started);
  }

  /** Milliseconds since the target's last answer, request or delivery (unrounded, for the settle window). */
  quietFor(): number {
    return performance.now() - this.started - this.lastActivity;
  }

  /** The caller is done: from now on the case only waits for the target to go quiet. */
  beginSettling(): void {
    this.settling = true;
  }

  /** Notes activity now (a delivery; requests and answers note themselves). */
  touch(): void {
    this.lastActivity = performance.now() - this.started;
  }

  /** Reserves the next invocation id (ids follow start order, also for concurrent invocations). */
  nextInvocationId(): number {
    if (this.invocationCount === 0 || (this.live.size === 0 && this.quietFor() >= this.quietMs)) this.startedQuiet.add(this.invocationCount + 1);
    this.invocationCount += 1;
    return this.invocationCount;
  }

  addInvocation(row: InvocationRow): void {
    this.invocations.push(row);
    this.lastAnswered = this.startedQuiet.has(row.id) ? row.id : null;
    this.touch();
  }

  startRequest(row: Omit<RequestRow, 'caseId' | 'id' | 'invocationId' | 'startedMs' | 'endedMs'>, invocationHint?: number): RequestRow {
    // A door's tag outlives its invocation only for a straggler (a process it left behind): then the old rule.
    // With none live, the request is the work of the invocation that answered last (it came after that answer).
    const onlyLive = this.live.size === 1 ? this.live.values().next().value! : this.live.size === 0 ? this.lastAnswered : null;
    const invocationId = invocationHint !== undefined && this.live.has(invocationHint) ? invocationHint : onlyLive;
    this.touch();
    // Field by field, not `{ ...row, caseId, ... }`: on Node 20 a spread followed by
    // more properties takes V8's slow path (microseconds per row, on every request).
    const full: RequestRow = {
      upstream: row.upstream,
      ordinal: row.ordinal,
      method: row.method,
      path: row.path,
      route: row.route,
      idempotencyKey: row.idempotencyKey,
      body: row.body,
      bodyFingerprint: row.bodyFingerprint,
      fault: row.fault,
      committed: row.committed,
      outcome: row.outcome,
      delivery: row.delivery,
      upstreamStatus: row.upstreamStatus,
      clientStatus: row.clientStatus,
      caseId: this.caseId,
      id: this.requests.length + 1,
      invocationId,
      startedMs: this.now(),
      endedMs: null,
    };
    this.requests.push(full);
    if (this.settling) this.late.push(full.id);
    return full;
  }

  addEffect(effect: Omit<EffectRow, 'caseId' | 'id' | 'operation' | 'fingerprint'>): void {
    this.effects.push({
      upstream: effect.upstream,
      route: effect.route,
      key: effect.key,
      resourceId: effect.resourceId,
      requestId: effect.requestId,
      body: effect.body,
      caseId: this.caseId,
      id: this.effects.length + 1,
      operation: this.operation,
      fingerprint: '', // set by finish(), once every key of the case is known
    });
  }

  /**
   * The caller gave up on a live invocation (an http target's timeout), but the
   * API may still be working on it: what it sends upstream now is that
   * invocation's work as much as the next one's. It stays live, so such a
   * request goes to no invocation while another runs, rather than to the next
   * (issue 18, hole 8), until the target has gone quiet with no other
   * invocation live: no request of the case in flight, none sent or answered
   * for `quietMs` (the settle window's rule). Module targets know when their
   * function settles and need none of this.
   */
  linger(id: number): void {
    if (!this.live.has(id)) return;
    this.lingering.add(id);
    this.lingerSince = performance.now() - this.started;
    this.retireLingering();
  }

  private retireLingering(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.lingering.size === 0 || this.finished) return;
    const othersLive = [...this.live].some((id) => !this.lingering.has(id));
    const inFlight = this.requests.some((request) => request.endedMs === null);
    const quietFor = Math.min(this.quietFor(), performance.now() - this.started - this.lingerSince);
    if (!othersLive && !inFlight && quietFor >= this.quietMs) {
      for (const id of this.lingering) this.live.delete(id);
      this.lingering.clear();
      return;
    }
    this.lingerTimer = setTimeout(() => this.retireLingering(), othersLive || inFlight ? 10 : Math.max(1, this.quietMs - quietFor));
    this.lingerTimer.unref?.();
  }

  /** Notes what the caller gives the target (an operation, a target's settings): its uuids are data, not generated. */
  noteCallerData(value: unknown): void {
    for (const id of idLikeValuesIn(value)) this.callerUuids.add(id);
  }

  finish(traits: ReadonlyMap<string, UpstreamTraits>): CaseRows {
    this.finished = true;
    clearTimeout(this.lingerTimer);
    const keys = [...this.keys];
    // What each invocation was handed (argv, an http request, a module's input) is the caller's too.
    for (const invocation of this.invocations) this.noteCallerData([invocation.argv, invocation.request ?? null]);
    const callerValues = [...this.callerUuids];
    const nowMs = Date.now();
    // A commit and its effect, and a target's retries, carry the same body: normalise and hash each once.
    const memo = new Map<string, string>();
    const fingerprintOf = (upstream: string, route: string, body: string): string => {
      const id = `${upstream}\0${route}\0${body}`;
      let value = memo.get(id);
      if (value === undefined) {
        value = fingerprint(upstream, route, normaliseBody(body, { keys, ignoreFields: traitsFor(traits, upstream, route)?.ignoreFields ?? [], callerValues, nowMs }));
        memo.set(id, value);
      }
      return value;
    };
    for (const request of this.requests) {
      request.bodyFingerprint = fingerprintOf(request.upstream, request.route, request.body);
    }
    for (const effect of this.effects) {
      effect.fingerprint = fingerprintOf(effect.upstream, effect.route, effect.body);
    }
    return {
      invocations: [...this.invocations].sort((a, b) => a.id - b.id),
      requests: this.requests,
      effects: this.effects,
    };
  }
}
