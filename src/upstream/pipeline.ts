import { getResponse } from 'msw';
import { CRASH_FAULTS, faultNamed } from '../faults/registry.js';
import { none } from '../faults/none.js';
import type { Fault, Outcome } from '../faults/fault.js';
import type { Delivery, RequestOutcome, RequestRow } from '../ledger/rows.js';
import { bindingFor, type FaultBinding } from '../core/schedule.js';
import type { CaseRecorder } from '../runner/recorder.js';
import { runWithHandlerContext, type EffectInput, type HandlerContext } from './context.js';
import { parseIdempotencyKey } from './idempotency-key.js';
import type { UpstreamModel } from './model.js';
import { headerValue, jsonResponse } from './models/answer.js';
import { plainResponse, toRequest, type PlainResponse, type RawRequest } from './raw-request.js';

export type { PlainResponse, RawRequest } from './raw-request.js';

/** What one case gives an upstream: its faults, where to record, and how to crash or restart the target. */
export interface UpstreamSession {
  faults: readonly FaultBinding[];
  recorder: CaseRecorder;
  /** Kills the target's live invocations (for crash faults). */
  crashTarget(): void;
  /** Has the target restarted gracefully before the caller's next invocation (faults with `restartsTarget`). */
  restartTarget?(): void;
  /**
   * Whose Idempotency-Key this is: true, a key the caller made for this case; false, one
   * it made for another case (an earlier case's late work, read late by a loaded harness or
   * sent late by the target: a stray, never this case's request #1); undefined, no caller's
   * key at all (the target's own). Absent: every key is the case's.
   */
  ownsKey?(key: string): boolean | undefined;
  /**
   * This case was open beside another (a settle window overlapping the next case), and a
   * request came that could be either's (no caller's key), or a crash or restart fault that
   * would stop the API under both. Every open case runs again on its own (runner/overlap.ts).
   */
  overlapConflict?(why: string): void;
}

/** A fault's outcome, or (no fault, a built-in model's route) the answer as bytes, ready for a socket. */
export type RawOutcome = Outcome | { kind: 'plain'; plain: PlainResponse };

/** The pipeline's answer: the fault's outcome plus the ledger row to finish once delivered. */
export interface PipelineResult<O = Outcome> {
  outcome: O;
  /** Call when the outcome reached the client (or failed to). */
  delivered(delivery: Delivery, clientStatus: number | null): void;
  crashTarget(): void;
}

/**
 * What a pipeline holds for one case: its session, the model instance serving
 * it, and its counts. Several at a time: the running case and the ones before
 * it whose settle windows are still open (one model instance each).
 */
interface CaseSlot {
  session: UpstreamSession;
  model: UpstreamModel;
  count: number;
  readonly routeCounts: Map<string, number>;
  /** Answers not delivered yet (a held request waits for its client to go). */
  pending: number;
  readonly settled: Array<() => void>;
}

/** A request counted in the case: where it stands among the case's requests and the fault bound to it. */
interface Admitted {
  session: UpstreamSession;
  /** Undefined for a stray. */
  slot: CaseSlot | undefined;
  model: UpstreamModel;
  ordinal: number;
  method: string;
  url: URL;
  /** `METHOD /path`: the route a binding names, and the row's route unless a handler names another. */
  plainRoute: string;
  binding: FaultBinding | undefined;
  fault: Fault;
}

const utf8 = new TextDecoder();

/**
 * The environment-free core of an upstream: counts requests, picks the fault
 * bound to this one, runs the model when the fault lets the upstream commit,
 * and records the request and its effects. Servers (loopback or in-process)
 * only turn the outcome into bytes, silence or a reset.
 *
 * Two entry points, one behaviour: `handle` takes a WHATWG Request (msw's
 * in-process interception) and always runs the msw handlers; `handleRaw`
 * takes what the loopback server read from the socket and calls a built-in
 * model's fast route when it has one for the request, so the common request
 * builds no Request, runs no msw pipeline and no AsyncLocalStorage.
 */
export class UpstreamPipeline {
  /** The case whose invocations run now. */
  private running: CaseSlot | undefined;
  /** Cases handed over (their invocations are done) whose settle windows are still open, oldest first. */
  private readonly settling: CaseSlot[] = [];
  /** Model instances no open case uses; a case takes one and resets it. */
  private readonly freeModels: UpstreamModel[];
  /** The model strays are served by: the last case's, as it stands. */
  private strayModel: UpstreamModel;
  /** Where requests go while no case is running (see `serveStrays`); absent: they are refused unrecorded. */
  private strays: (() => UpstreamSession) | undefined;
  /**
   * `METHOD /raw/path` → the route a handler named for it (`POST /Charges/` →
   * `POST /charges`), learnt from the requests that reached a handler and kept
   * for the run (null: handlers named two routes for it). A request a fault kept
   * from the handler, or one before anything committed, gets the same name, so
   * a retry chain, a permanent-error chain or a key group does not split in two
   * at the first commit (issue 18, hole 5).
   */
  private readonly routeNames = new Map<string, string | null>();

  /**
   * `spares`: more instances of the same model (built-in models only), so
   * that many cases' settle windows can stay open, each with its own upstream
   * state, while the next case runs (see `handOver`).
   */
  constructor(
    readonly name: string,
    readonly model: UpstreamModel,
    spares: readonly UpstreamModel[] = [],
  ) {
    this.freeModels = [model, ...spares];
    this.strayModel = model;
    this.maxSettling = spares.length;
  }

  /** How many cases can be settling while the next one runs: one per spare model instance (0: none can). */
  readonly maxSettling: number;

  get canOverlap(): boolean {
    return this.maxSettling > 0;
  }

  beginCase(session: UpstreamSession): void {
    if (this.running) this.close(this.running);
    // Round robin: the instance the last case used goes to the back, so a case that settles keeps its own.
    const model = this.freeModels.shift();
    if (!model) throw new Error(`upstream ${this.name}: a case began while ${this.settling.length} were settling, one more than its model instances allow`);
    model.reset();
    this.running = { session, model, count: 0, routeCounts: new Map(), pending: 0, settled: [] };
    this.strayModel = model;
  }

  /**
   * The running case's invocations are over; its settle window stays open
   * while the next case may begin. Until it closes (`endCase(session)`), a
   * request carrying one of its caller's keys is its own; a request that could
   * be another open case's is a conflict (UpstreamSession.overlapConflict).
   */
  handOver(): void {
    if (!this.running) return;
    if (this.settling.length >= this.maxSettling) throw new Error(`upstream ${this.name}: a case was handed over while ${this.settling.length} were still settling (at most ${this.maxSettling})`);
    this.settling.push(this.running);
    this.running = undefined;
  }

  /**
   * The case is over (its settle window closed): the case `session` names, or
   * the running one. Requests for it from now on are strays: served by the
   * model as it stands (no fault) and recorded where `serveStrays` says, so
   * they count in no case and are never lost.
   */
  endCase(session?: UpstreamSession): void {
    const slot = session === undefined ? this.running : this.slotOf(session);
    if (slot) this.close(slot);
  }

  private close(slot: CaseSlot): void {
    if (slot === this.running) this.running = undefined;
    const at = this.settling.indexOf(slot);
    if (at >= 0) this.settling.splice(at, 1);
    this.freeModels.push(slot.model);
    for (const wake of slot.settled.splice(0)) wake();
  }

  /** Records requests that arrive while no case is running in the session `current()` returns at that moment. */
  serveStrays(current: () => UpstreamSession): void {
    this.strays = current;
  }

  /** Requests of a case (the running one, or the one `session` names) whose answer has not been delivered yet. */
  inFlight(session?: UpstreamSession): number {
    return this.slotOf(session)?.pending ?? 0;
  }

  /**
   * Waits (at most capMs) until every answer of the case was delivered, so the
   * ledger gets a held request's end as the server saw it, not a half-written row.
   */
  async settle(capMs = 200, session?: UpstreamSession): Promise<void> {
    const slot = this.slotOf(session);
    if (!slot || slot.pending === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, capMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      slot.settled.push(done);
    });
  }

  private slotOf(session: UpstreamSession | undefined): CaseSlot | undefined {
    if (session === undefined) return this.running ?? this.settling.at(-1);
    return this.running?.session === session ? this.running : this.settling.find((slot) => slot.session === session);
  }

  /** The open cases: the settling ones, oldest first, then the running one. */
  private open(): CaseSlot[] {
    return this.running ? [...this.settling, this.running] : this.settling;
  }

  /**
   * Where a request goes. One open case: that case, unless its key is another
   * case's (then a stray). Several (cases settling while the next runs): the
   * case whose caller's key it carries; with no caller's key it could be any
   * of theirs, so the newest gets it and all are told (a conflict: they run
   * again one after the other). No case: the strays (or nowhere).
   */
  private slotFor(keyHeader: string | null): { slot?: CaseSlot; session?: UpstreamSession } {
    const key = keyHeader === null ? null : parseIdempotencyKey(keyHeader);
    const claim = (slot: CaseSlot): boolean | undefined => (key === null ? undefined : slot.session.ownsKey?.(key));
    // The common request: one case open (no array built on this path).
    const only = this.settling.length === 0 ? this.running : this.running === undefined && this.settling.length === 1 ? this.settling[0] : undefined;
    if (only) return key === null || claim(only) !== false ? { slot: only, session: only.session } : { session: this.strays?.() };
    const open = this.open();
    if (open.length === 0) return { session: this.strays?.() };
    const claims = open.map(claim);
    const owner = claims.indexOf(true);
    if (owner >= 0) return { slot: open[owner]!, session: open[owner]!.session };
    if (claims.every((claimed) => claimed === false)) return { session: this.strays?.() };
    const why = key === null ? 'a request without an Idempotency-Key' : `a request whose Idempotency-Key "${key}" is not the caller's`;
    for (const slot of open) slot.session.overlapConflict?.(why);
    const newest = open.at(-1)!;
    return { slot: newest, session: newest.session };
  }

  async handle(request: Request): Promise<PipelineResult> {
    const keyHeader = request.headers.get('idempotency-key');
    const { slot, session } = this.slotFor(keyHeader);
    if (!session) return straggler();
    const admitted = this.admit(slot, session, request.method, new URL(request.url));
    const body = request.body ? await request.clone().text() : '';
    const row = this.startRow(admitted, keyHeader, body);
    if (slot) slot.pending += 1;
    const delay = admitted.binding?.params?.delayBeforeCommitMs;
    if (delay) await sleep(delay);
    const response = admitted.fault.commits ? await this.runHandlers(admitted, row, request, body) : null;
    return this.result(admitted, row, admitted.fault.outcome(response, admitted.binding?.params ?? {}, admitted.model.errorBody));
  }

  /** `handle` for a request read off a socket: the same counting, faults and rows. */
  async handleRaw(raw: RawRequest): Promise<PipelineResult<RawOutcome>> {
    const href = `http://${raw.host ?? '127.0.0.1'}${raw.url}`;
    const url = new URL(href);
    const keyHeader = headerValue(raw.headers, 'idempotency-key');
    const { slot, session } = this.slotFor(keyHeader);
    const model = slot?.model ?? this.strayModel;
    const fast = model.fast?.route(raw.method, url.pathname);
    // The loopback server used to build a Request first: one it refuses still fails before it counts.
    const request = fast ? undefined : toRequest(raw, href);
    if (fast && (url.username || url.password)) throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${href}`);
    if (!session) return straggler();
    const admitted = this.admit(slot, session, raw.method, url);
    const hasBody = raw.method !== 'GET' && raw.method !== 'HEAD' && raw.body.length > 0;
    const body = hasBody ? utf8.decode(raw.body) : '';
    // A door names the invocation of the running case; a settling case's invocations are over.
    const row = this.startRow(admitted, keyHeader, body, slot && slot === this.running ? raw.invocationHint : undefined);
    if (slot) slot.pending += 1;
    const { fault, binding } = admitted;
    if (binding?.params?.delayBeforeCommitMs) await sleep(binding.params.delayBeforeCommitMs);
    if (!fault.commits) return this.result(admitted, row, fault.outcome(null, binding?.params ?? {}, model.errorBody));
    if (!fast) return this.result(admitted, row, fault.outcome(await this.runHandlers(admitted, row, request!, body), binding?.params ?? {}, model.errorBody));

    const report = new RequestReport(this.name, row);
    const answer = fast({ text: body, headers: raw.headers, url }, report);
    this.conclude(admitted, row, report, answer.status, true, body);
    // No fault: straight to bytes. A fault gets the Response msw would have made, so the fault catalog is unchanged.
    if (fault === none) return this.result(admitted, row, { kind: 'plain', plain: plainResponse(answer) });
    return this.result(admitted, row, fault.outcome(jsonResponse(answer), binding?.params ?? {}, model.errorBody));
  }

  /** Counts the request in the case and finds the fault bound to it. */
  private admit(slot: CaseSlot | undefined, session: UpstreamSession, method: string, url: URL): Admitted {
    const plainRoute = `${method} ${url.pathname}`;
    if (!slot) {
      // A stray: it takes none of a case's positions and none of its faults.
      return { session, slot, model: this.strayModel, ordinal: session.recorder.requests.length + 1, method, url, plainRoute, binding: undefined, fault: none };
    }
    slot.count += 1;
    const ordinal = slot.count;
    const routeOrdinal = (slot.routeCounts.get(plainRoute) ?? 0) + 1;
    slot.routeCounts.set(plainRoute, routeOrdinal);
    const binding =
      session.faults.length === 0
        ? undefined
        : bindingFor(session.faults, {
            upstream: this.name,
            ordinal,
            routeOrdinal: (route) => (route === plainRoute ? routeOrdinal : -1),
          });
    const fault = faultNamed(binding?.fault ?? 'none');
    if (this.settling.length > 0 && (CRASH_FAULTS.includes(fault.name) || fault.restartsTarget)) {
      // Several cases open on one API: a fault that kills or restarts it acts on all (and cuts the settling cases'
      // late work short). Other faults act on their own request's connection only.
      const open = this.open();
      if (open.length > 1) {
        const why = `a fault that stops the API (${fault.name}) while ${open.length} cases were open`;
        for (const other of open) other.session.overlapConflict?.(why);
      }
    }
    return { session, slot, model: slot.model, ordinal, method, url, plainRoute, binding, fault };
  }

  private startRow(admitted: Admitted, keyHeader: string | null, body: string, invocationHint?: number): RequestRow {
    const { session, url } = admitted;
    return session.recorder.startRequest(
      {
        upstream: this.name,
        ordinal: admitted.ordinal,
        method: admitted.method,
        path: url.pathname + url.search,
        route: this.routeNames.get(admitted.plainRoute) ?? admitted.plainRoute,
        idempotencyKey: parseIdempotencyKey(keyHeader),
        body,
        bodyFingerprint: '',
        fault: admitted.fault.name,
        committed: false,
        outcome: 'not-run',
        delivery: 'response',
        upstreamStatus: null,
        clientStatus: null,
      },
      invocationHint,
    );
  }

  /** The model's msw handlers, as custom upstreams are always served. */
  private async runHandlers(admitted: Admitted, row: RequestRow, request: Request, body: string): Promise<Response> {
    const report = new RequestReport(this.name, row);
    const handled = await runWithHandlerContext(report, () => getResponse(admitted.model.handlers, request));
    const response = handled ?? unmatched(admitted.plainRoute);
    this.conclude(admitted, row, report, response.status, handled !== undefined, body);
    return response;
  }

  /** Writes what the handler did into the row, and its effects. */
  private conclude(admitted: Admitted, row: RequestRow, report: RequestReport, status: number, matched: boolean, body: string): void {
    const reading = admitted.method === 'GET' || admitted.method === 'HEAD';
    // A handler that said nothing: a read, a refusal (an error status), or a write it did not record.
    row.outcome = !matched ? 'unmatched' : (report.outcome ?? (reading ? 'read' : status >= 400 ? 'rejected' : 'recorded-nothing'));
    row.upstreamStatus = status;
    for (const effect of report.effects) {
      if (effect.route) row.route = effect.route;
      row.committed = true;
      admitted.session.recorder.addEffect({
        upstream: this.name,
        route: effect.route ?? admitted.plainRoute,
        key: row.idempotencyKey,
        resourceId: effect.resourceId ?? null,
        requestId: row.id,
        body: effect.body === undefined ? body : typeof effect.body === 'string' ? effect.body : JSON.stringify(effect.body),
      });
    }
    if (row.route !== admitted.plainRoute) this.nameRoute(admitted, row.route);
  }

  /** Learns what a handler called a raw route, and names the case's earlier requests to it the same. */
  private nameRoute(admitted: Admitted, named: string): void {
    const known = this.routeNames.get(admitted.plainRoute);
    if (known === null || known === named) return;
    if (known !== undefined) {
      // Two names for one raw route (a handler that names routes by body): no guess for the next ones.
      this.routeNames.set(admitted.plainRoute, null);
      return;
    }
    this.routeNames.set(admitted.plainRoute, named);
    for (const earlier of admitted.session.recorder.requests) {
      if (earlier.upstream === this.name && earlier.route === admitted.plainRoute) earlier.route = named;
    }
  }

  private result<O>(admitted: Admitted, row: RequestRow, outcome: O): PipelineResult<O> {
    const { session, slot } = admitted;
    return {
      outcome,
      delivered: (delivery, clientStatus) => {
        // A stray's answer is no case's to wait for.
        if (slot) {
          slot.pending = Math.max(0, slot.pending - 1);
          if (slot.pending === 0) for (const wake of slot.settled.splice(0)) wake();
        }
        row.delivery = delivery;
        row.clientStatus = clientStatus;
        row.endedMs = session.recorder.now();
        session.recorder.touch();
        if (admitted.fault.restartsTarget) session.restartTarget?.();
      },
      crashTarget: () => session.crashTarget(),
    };
  }
}

/**
 * The handler context of one request: what its handler says it did. Called
 * as methods, by `recordEffect` and friends (through AsyncLocalStorage) or by
 * a built-in model's fast route (passed in).
 */
class RequestReport implements HandlerContext {
  outcome: RequestOutcome | undefined;
  readonly effects: EffectInput[] = [];

  constructor(
    readonly upstream: string,
    private readonly row: RequestRow,
  ) {}

  commit(effect: EffectInput = {}): void {
    this.effects.push(effect);
    this.outcome = 'committed';
  }

  replayed(): void {
    this.outcome = 'replayed';
  }

  rejected(): void {
    this.outcome = 'rejected';
  }

  unchanged(): void {
    this.outcome = 'unchanged';
  }

  route(route: string): void {
    this.row.route = route;
  }
}

/** A request while no case is running, where nothing records strays (a pipeline used on its own): refused. */
function straggler(): PipelineResult {
  return {
    outcome: { kind: 'respond', response: new Response('no case is running', { status: 503 }) },
    delivered: () => undefined,
    crashTarget: () => undefined,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function unmatched(route: string): Response {
  return new Response(JSON.stringify({ error: `retryproof: no handler of this upstream matches ${route}` }), {
    status: 404,
    headers: { 'content-type': 'application/json' },
  });
}
