import { bindingFor, type FaultBinding } from '../../core/schedule.js';
import { faultNamed } from '../../faults/registry.js';
import type { CaseRows, RequestRow } from '../../ledger/rows.js';
import { describeRequest, fail, pass, plural, scenarioFacts, skip, warn, type Check } from '../check.js';

/** Backoff jitter tolerated: a wait may be this much shorter than the one before it… */
export const JITTER_FLOOR_MS = 50;
/** …or this fraction of the one before it, whichever is more. */
export const JITTER_FRACTION = 0.25;
/**
 * Each wait is measured between two stamps on the harness's clock, and the
 * target's own timer runs late on a busy machine too: a wait may be off by
 * the scheduling noise on either side. The back-off tolerance grows by this
 * many times the noise measured during the case (CaseTiming).
 */
export const NOISE_FACTOR = 2;
/** A retry sent sooner than this after the answer it follows had no wait at all: the client's turnaround, not a pause. */
export const NO_WAIT_MS = 10;
/**
 * On a busy machine an immediate retry is measured late by about the scheduling
 * noise, so the no-wait limit grows by the noise measured during the case, up to
 * this: below the shortest back-off a client would mean as one (50 ms).
 */
export const NO_WAIT_CAP_MS = 40;
/** A chain is blamed for retrying at once from this many such retries on: one may be a jittered wait that drew almost nothing. */
export const NO_WAIT_REPEATS = 2;
/** Answers that ask the client to come back later, not at once: a key in flight (IETF draft), too many requests, unavailable. */
export const WAIT_STATUSES: readonly number[] = [409, 429, 503];

/**
 * A target's own retries (within one invocation) are bounded, back off, and
 * honour Retry-After. Measured from the upstream request log:
 *
 * - A retry chain is a run of requests from one invocation to one upstream
 *   route in which every request but the last failed (no answer, or a status
 *   of 400 or more). A request after a success starts a new chain: a tool that
 *   creates three records in a row is not retrying. Requests to other routes
 *   in between (a look-up before retrying) do not break a chain.
 * - Bounded: no chain is longer than `retryPolicy.maxAttempts` requests.
 * - Backs off: within a chain, the wait before each retry (from the end of the
 *   failed request — when the client got its answer or gave up — to the start
 *   of the next) is not shorter than the wait before the previous retry, less
 *   a tolerance of max(50 ms, 25 % of that previous wait) for jitter and for
 *   the latency between the target and the upstream's clock. Waits that
 *   follow a Retry-After are set by the server and left out of the comparison.
 *   Equal waits (a constant delay) count as backing off. On a busy machine
 *   the tolerance grows by NOISE_FACTOR (2) times the scheduling noise
 *   measured during the case (the harness's own event-loop delay, CaseTiming):
 *   either of two measured waits may be off by about that much, so intended
 *   waits of 50 ms then 100 ms measured as 168 ms then 114 ms are no finding
 *   (issue 13, class 8). A failure is also confirmed by running the case again
 *   (src/runner/confirm-timing.ts).
 * - Waits after a 409, 429 or 503: a retry that follows such an answer
 *   within NO_WAIT_MS (10 ms) had no wait at all, whatever `maxAttempts`
 *   allows; on a busy machine within 10 ms plus the scheduling noise measured
 *   during the case, at most NO_WAIT_CAP_MS (40 ms). A chain is flagged from NO_WAIT_REPEATS (2) such retries on, so a
 *   correct client whose full-jitter backoff drew ~0 ms once is not blamed;
 *   a client that hammers a key in flight is. The wait is measured from what
 *   the target controls, on the harness's one clock: the upstream stamps the
 *   end when it hands the answer to the socket (before the client can read
 *   it) and the start when it has read the next request (after the client
 *   sent it), so a loaded machine can only lengthen a measured wait — it may
 *   hide an immediate retry, never invent one. Answers that carried
 *   Retry-After are judged by the Retry-After rule instead.
 * - Honours Retry-After: after a response with `Retry-After: S`, the next
 *   request from that invocation to that upstream (any route) starts no sooner
 *   than S seconds after the response, less `retryPolicy.retryAfterToleranceMs`.
 *   The value is recomputed from the fault that answered the request and its
 *   parameters in the schedule (`429-retry-after` and `503-before-commit`, 1 s
 *   unless `retryAfterSeconds` says otherwise; `409-in-flight` with it); an upstream handler's own Retry-After headers are not
 *   in the request log and are not judged. A 503's Retry-After that only the
 *   harness's default put there (the scenario does not say its upstream sends
 *   one) is judged as a warning: a client ignoring a header its real upstream
 *   may never send is not thereby unsafe.
 *
 * Requests recorded without invocation (sent while several invocations ran)
 * cannot be grouped and are left out; the message says how many. Skips when
 * no invocation retried anything and no Retry-After was followed by a request.
 */
export const retryPolicy: Check = {
  name: 'retry-policy',
  holdsWhen: "the target's own retries are bounded, back off, wait after a 409, 429 or 503, and honour Retry-After",
  evaluate(input) {
    const { operation, rows, schedule } = input;
    const noiseMs = input.timing?.schedulingNoiseMs ?? 0;
    const noWaitMs = Math.min(NO_WAIT_CAP_MS, NO_WAIT_MS + noiseMs);
    const { maxAttempts, retryAfterToleranceMs } = scenarioFacts(input).retryPolicy;
    const unattributed = rows.requests.filter((request) => request.invocationId === null).length;
    const note = unattributed > 0 ? ` (${plural(unattributed, 'request')} sent while several invocations ran could not be attributed and were left out)` : '';
    const problems: string[] = [];
    const evidenceRequests = new Set<number>();
    const evidenceInvocations = new Set<number>();
    /** Found wanting only against the Retry-After a 503 says by default: warnings, not failures (see retryAfterSaid). */
    const advisories: string[] = [];
    let chainsJudged = 0;
    let retryAftersJudged = 0;

    for (const [invocationId, requests] of byInvocation(rows)) {
      const flag = (text: string, involved: readonly RequestRow[]): void => {
        problems.push(`invocation ${invocationId}: ${text}`);
        evidenceInvocations.add(invocationId);
        involved.forEach((request) => evidenceRequests.add(request.id));
      };
      const retryAfter = new Map<number, RetryAfter>();
      for (const request of requests) {
        const said = retryAfterSaid(request, rows, schedule.faults);
        if (said !== undefined) retryAfter.set(request.id, said);
      }

      for (const chain of retryChains(requests)) {
        if (chain.length < 2) continue;
        chainsJudged += 1;
        const route = `${chain[0]!.upstream} ${chain[0]!.route}`;
        if (chain.length > maxAttempts) {
          flag(`sent ${route} ${chain.length} times in a row without success (retryPolicy.maxAttempts: ${maxAttempts}): ${chain.map(describeRequest).join('; ')}`, chain);
        }
        let previous: { wait: number; before: RequestRow; after: RequestRow } | undefined;
        const atOnce: Array<{ wait: number; before: RequestRow; after: RequestRow }> = [];
        for (let i = 1; i < chain.length; i += 1) {
          const before = chain[i - 1]!;
          const after = chain[i]!;
          // An end stamped after the retry began is not when the client gave up (a late answer it had
          // abandoned, in a ledger written before the upstream stamped that): the wait is unknown (issue 18, hole 7).
          if (retryAfter.has(before.id) || endOf(before) > after.startedMs) {
            previous = undefined;
            continue;
          }
          const wait = after.startedMs - endOf(before);
          if (asksForAWait(before) && wait < noWaitMs) atOnce.push({ wait, before, after });
          if (previous) {
            const tolerance = Math.max(JITTER_FLOOR_MS, JITTER_FRACTION * previous.wait) + NOISE_FACTOR * noiseMs;
            if (wait < previous.wait - tolerance) {
              const then = asksForAWait(before) && wait < noWaitMs ? `no wait at all (${wait} ms)` : `only ${wait} ms`;
              flag(
                `does not back off on ${route}: waited ${previous.wait} ms before request ${previous.after.id}, then ${then} before request ${after.id} (after ${describeRequest(before)}; tolerance ${Math.round(tolerance)} ms${noiseMs > 0 ? `, of which ${NOISE_FACTOR * noiseMs} ms for the ${noiseMs} ms of scheduling noise measured during the case` : ''})`,
                [previous.before, previous.after, before, after],
              );
            }
          }
          previous = { wait, before, after };
        }
        if (atOnce.length >= NO_WAIT_REPEATS) {
          const first = atOnce[0]!;
          const statuses = [...new Set(atOnce.map(({ before }) => before.clientStatus))].join(', ');
          const rest = atOnce.length - 1;
          const more = rest > 0 ? `, and ${rest} more ${rest === 1 ? 'retry' : 'retries'} like it` : '';
          flag(
            `retried ${route} with no wait after ${statuses} ${atOnce.length} times (a retry within ${noWaitMs} ms of the answer it follows has none${noWaitMs > NO_WAIT_MS ? `: ${NO_WAIT_MS} ms and the ${noiseMs} ms of scheduling noise measured during the case, at most ${NO_WAIT_CAP_MS}` : ''}): ${describeRequest(first.before)} was followed by request ${first.after.id} ${first.wait} ms later${more}`,
            atOnce.flatMap(({ before, after }) => [before, after]),
          );
        }
      }

      for (const [id, { seconds, harnessDefault }] of retryAfter) {
        const answered = requests.find((request) => request.id === id)!;
        const next = requests.find((request) => request.id > id && request.upstream === answered.upstream);
        if (!next) continue;
        retryAftersJudged += 1;
        const waited = next.startedMs - endOf(answered);
        const due = seconds * 1000 - retryAfterToleranceMs;
        if (waited < due) {
          const text = `ignored Retry-After: ${describeRequest(answered)} said Retry-After ${seconds}, but ${describeRequest(next)} came ${waited} ms later (at least ${Math.max(0, due)} ms, with retryPolicy.retryAfterToleranceMs ${retryAfterToleranceMs})`;
          if (!harnessDefault) flag(text, [answered, next]);
          else {
            advisories.push(`invocation ${invocationId}: ${text}; a warning: the scenario does not say its upstream sends Retry-After on a 503 (faultParams: {503-before-commit: {retryAfterSeconds: 1}} makes it a failure)`);
            evidenceInvocations.add(invocationId);
            [answered, next].forEach((request) => evidenceRequests.add(request.id));
          }
        }
      }
    }

    if (chainsJudged === 0 && retryAftersJudged === 0) {
      return skip(this.name, `${operation}: the target retried no request of its own (no failed request was followed by another to its route)${note}`);
    }
    const judged = [
      ...(chainsJudged > 0 ? [plural(chainsJudged, 'retry chain')] : []),
      ...(retryAftersJudged > 0 ? [plural(retryAftersJudged, 'Retry-After')] : []),
    ].join(' and ');
    if (problems.length === 0 && advisories.length === 0) return pass(this.name, `${operation}: retries bounded, backing off and honouring Retry-After (${judged})${note}`);
    const evidence = {
      invocations: [...evidenceInvocations].sort((a, b) => a - b),
      requests: [...evidenceRequests].sort((a, b) => a - b),
    };
    if (problems.length === 0) return warn(this.name, `${operation}: ${advisories.join(' | ')}${note}`, evidence);
    return fail(this.name, `${operation}: ${[...problems, ...advisories].join(' | ')}${note}`, evidence);
  },
};

/** When the client had the answer or gave up; the start when the log has no end. */
function endOf(request: RequestRow): number {
  return request.endedMs ?? request.startedMs;
}

function byInvocation(rows: CaseRows): Map<number, RequestRow[]> {
  const groups = new Map<number, RequestRow[]>();
  for (const request of [...rows.requests].sort((a, b) => a.id - b.id)) {
    if (request.invocationId === null) continue;
    const group = groups.get(request.invocationId) ?? [];
    group.push(request);
    groups.set(request.invocationId, group);
  }
  return groups;
}

/** An answer that asks the client to come back later (and says nothing of when: no Retry-After judged here). */
function asksForAWait(request: RequestRow): boolean {
  return request.delivery === 'response' && request.clientStatus !== null && WAIT_STATUSES.includes(request.clientStatus);
}

function failed(request: RequestRow): boolean {
  return request.clientStatus === null || request.clientStatus >= 400;
}

/** One invocation's requests cut into runs per route, each run ending at its first success. */
function retryChains(requests: readonly RequestRow[]): RequestRow[][] {
  const open = new Map<string, RequestRow[]>();
  const chains: RequestRow[][] = [];
  for (const request of requests) {
    const route = `${request.upstream} ${request.route}`;
    const chain = open.get(route) ?? [];
    if (chain.length === 0) chains.push(chain);
    chain.push(request);
    if (failed(request)) open.set(route, chain);
    else open.delete(route);
  }
  return chains;
}

/** A Retry-After the client saw, and whether only the harness's default put it there. */
export interface RetryAfter {
  seconds: number;
  /**
   * A 503 before commit whose parameters do not say `retryAfterSeconds`: the header is the
   * harness's default, which the real upstream may never send (Stripe's SDKs for Node never
   * read it), so ignoring it is a warning. A 429's Retry-After is the fault's point, and one
   * the scenario declares is the upstream's word: ignoring those fails.
   */
  harnessDefault: boolean;
}

/**
 * The Retry-After the client saw on this request: what the fault bound to it
 * answers with its parameters. Only faults that answer without the upstream's
 * response (they do not commit) can be replayed this way.
 */
export function retryAfterSaid(request: RequestRow, rows: CaseRows, faults: readonly FaultBinding[]): RetryAfter | undefined {
  if (request.fault === 'none' || request.delivery !== 'response' || request.clientStatus === null) return undefined;
  let fault;
  try {
    fault = faultNamed(request.fault);
  } catch {
    return undefined;
  }
  if (fault.commits) return undefined;
  const plainRoute = (row: RequestRow): string => `${row.method} ${row.path.split('?')[0]}`;
  const binding = bindingFor(faults, {
    upstream: request.upstream,
    ordinal: request.ordinal,
    routeOrdinal: (route) =>
      route === plainRoute(request)
        ? rows.requests.filter((row) => row.upstream === request.upstream && row.id <= request.id && plainRoute(row) === route).length
        : -1,
  });
  const params = binding && binding.fault === request.fault ? (binding.params ?? {}) : {};
  const outcome = fault.outcome(null, params);
  if (outcome.kind !== 'respond') return undefined;
  const header = outcome.response.headers.get('retry-after');
  if (header === null) return undefined;
  const seconds = Number(header);
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return { seconds, harnessDefault: request.fault === '503-before-commit' && params.retryAfterSeconds === undefined };
}
