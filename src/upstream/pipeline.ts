import { getResponse } from 'msw';
import { faultNamed } from '../faults/registry.js';
import type { Outcome } from '../faults/fault.js';
import type { RequestOutcome } from '../ledger/rows.js';
import { bindingFor, type FaultBinding } from '../explore/schedule.js';
import type { CaseRecorder } from '../runner/recorder.js';
import { runWithHandlerContext, type EffectInput } from './context.js';
import { parseIdempotencyKey } from './idempotency-key.js';
import type { UpstreamModel } from './model.js';

/** What one case gives an upstream: its faults, where to record, and how to crash the target. */
export interface UpstreamSession {
  faults: readonly FaultBinding[];
  recorder: CaseRecorder;
  /** Kills the target's live invocations (for crash faults). */
  crashTarget(): void;
}

/** The pipeline's answer: the fault's outcome plus the ledger row to finish once delivered. */
export interface PipelineResult {
  outcome: Outcome;
  /** Call when the outcome reached the client (or failed to). */
  delivered(delivery: import('../ledger/rows.js').Delivery, clientStatus: number | null): void;
  crashTarget(): void;
}

/**
 * The environment-free core of an upstream: counts requests, picks the fault
 * bound to this one, runs the msw handlers when the fault lets the upstream
 * commit, and records the request and its effects. Servers (loopback or
 * in-process) only turn the outcome into bytes, silence or a reset.
 */
export class UpstreamPipeline {
  private session: UpstreamSession | undefined;
  /** Answers not yet delivered (a held request waits for its client to go). */
  private pending = 0;
  private settled: Array<() => void> = [];
  private count = 0;
  private readonly routeCounts = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly model: UpstreamModel,
  ) {}

  beginCase(session: UpstreamSession): void {
    this.session = session;
    this.count = 0;
    this.pending = 0;
    this.routeCounts.clear();
    this.model.reset();
  }

  endCase(): void {
    this.session = undefined;
  }

  /**
   * Waits (at most capMs) until every answer of the case was delivered, so the
   * ledger gets a held request's end as the server saw it, not a half-written row.
   */
  async settle(capMs = 200): Promise<void> {
    if (this.pending === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, capMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.settled.push(done);
    });
  }

  async handle(request: Request): Promise<PipelineResult> {
    const session = this.session;
    if (!session) {
      // A straggler from a finished case (e.g. a grandchild the target left behind): refuse it.
      return {
        outcome: { kind: 'respond', response: new Response('no case is running', { status: 503 }) },
        delivered: () => undefined,
        crashTarget: () => undefined,
      };
    }
    const url = new URL(request.url);
    const plainRoute = `${request.method} ${url.pathname}`;
    this.count += 1;
    const ordinal = this.count;
    this.routeCounts.set(plainRoute, (this.routeCounts.get(plainRoute) ?? 0) + 1);
    const binding = bindingFor(session.faults, {
      upstream: this.name,
      ordinal,
      routeOrdinal: (route) => (route === plainRoute ? this.routeCounts.get(plainRoute)! : -1),
    });
    const fault = faultNamed(binding?.fault ?? 'none');
    const body = request.body ? await request.clone().text() : '';
    const row = session.recorder.startRequest({
      upstream: this.name,
      ordinal,
      method: request.method,
      path: url.pathname + url.search,
      route: plainRoute,
      idempotencyKey: parseIdempotencyKey(request.headers.get('idempotency-key')),
      body,
      bodyFingerprint: '',
      fault: fault.name,
      committed: false,
      outcome: 'not-run',
      delivery: 'response',
      upstreamStatus: null,
      clientStatus: null,
    });

    this.pending += 1;
    let response: Response | null = null;
    const delayBeforeCommit = binding?.params?.delayBeforeCommitMs;
    if (delayBeforeCommit) await new Promise((resolve) => setTimeout(resolve, delayBeforeCommit));
    if (fault.commits) {
      const reading = request.method === 'GET' || request.method === 'HEAD';
      let outcome: RequestOutcome | undefined;
      const effects: EffectInput[] = [];
      const context = {
        upstream: this.name,
        commit: (effect: EffectInput = {}) => {
          effects.push(effect);
          outcome = 'committed';
        },
        replayed: () => {
          outcome = 'replayed';
        },
        rejected: () => {
          outcome = 'rejected';
        },
        unchanged: () => {
          outcome = 'unchanged';
        },
        route: (route: string) => {
          row.route = route;
        },
      };
      const handled = await runWithHandlerContext(context, () => getResponse(this.model.handlers, request));
      response = handled ?? unmatched(plainRoute);
      // A handler that said nothing: a read, a refusal (an error status), or a write it did not record.
      row.outcome = !handled ? 'unmatched' : (outcome ?? (reading ? 'read' : response.status >= 400 ? 'rejected' : 'recorded-nothing'));
      row.upstreamStatus = response.status;
      for (const effect of effects) {
        if (effect.route) row.route = effect.route;
        row.committed = true;
        session.recorder.addEffect({
          upstream: this.name,
          route: effect.route ?? plainRoute,
          key: row.idempotencyKey,
          resourceId: effect.resourceId ?? null,
          requestId: row.id,
          body: effect.body === undefined ? body : typeof effect.body === 'string' ? effect.body : JSON.stringify(effect.body),
        });
      }
    }
    return {
      outcome: fault.outcome(response, binding?.params ?? {}),
      delivered: (delivery, clientStatus) => {
        this.pending = Math.max(0, this.pending - 1);
        if (this.pending === 0) for (const wake of this.settled.splice(0)) wake();
        row.delivery = delivery;
        row.clientStatus = clientStatus;
        row.endedMs = session.recorder.now();
      },
      crashTarget: () => session.crashTarget(),
    };
  }
}

function unmatched(route: string): Response {
  return new Response(JSON.stringify({ error: `retryproof: no handler of this upstream matches ${route}` }), {
    status: 404,
    headers: { 'content-type': 'application/json' },
  });
}
