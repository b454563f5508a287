import type { RequestRow } from '../../ledger/rows.js';
import { describeRequest, fail, isMutatingMethod, pass, plural, skip, type Check } from '../check.js';

/** Statuses that retrying the same request cannot fix. 409 (a key still in flight) and 429 are not among them. */
export const PERMANENT_STATUSES: readonly number[] = [400, 401, 403, 404, 422];

/**
 * After an upstream answered a permanent error (the client saw 400, 401, 403,
 * 404 or 422), the same invocation sends no further request to that upstream
 * route: the same request would get the same answer. 409 (per the IETF draft,
 * a key still in flight) and 429 may be retried; whether such a retry waited
 * long enough is retry-policy's business. A later invocation (the caller's own
 * retry) is not the target's retry and is not judged here. A read (GET, HEAD,
 * OPTIONS) may be sent again once a request committed on that upstream after
 * it: a 404 before the resource was created says nothing of the state after.
 *
 * Requests are grouped by the invocation the recorder attributed them to;
 * requests sent while several invocations ran (a concurrency probe) have no
 * invocation and are left out, and the message says how many.
 */
export const noRetryOnPermanent: Check = {
  name: 'no-retry-on-permanent',
  holdsWhen: 'after a permanent upstream error (400, 401, 403, 404, 422) the target does not send that request again; 409 and 429 may be retried after a wait',
  evaluate({ operation, rows }) {
    const permanent = rows.requests.filter((request) => request.clientStatus !== null && PERMANENT_STATUSES.includes(request.clientStatus));
    if (permanent.length === 0) return skip(this.name, `${operation}: no upstream answered a permanent error (400, 401, 403, 404, 422) in this case`);
    const attributed = permanent.filter((request) => request.invocationId !== null);
    const unattributed = permanent.length - attributed.length;
    const note = unattributed > 0 ? ` (${plural(unattributed, 'permanent error')} came while several invocations ran and could not be attributed)` : '';
    if (attributed.length === 0) {
      return skip(this.name, `${operation}: every permanent error came while several invocations ran, so no retry can be attributed${note}`);
    }
    const problems: string[] = [];
    const invocations = new Set<number>();
    const requests = new Set<number>();
    for (const refused of attributed) {
      // A read that found nothing (a 404 before the resource existed) gets the same answer only while the
      // upstream stays as it was: once something committed there, reading again is a new question (issue 18, hole 4).
      const changed = isMutatingMethod(refused.method)
        ? undefined
        : rows.requests.find((request) => request.id > refused.id && request.upstream === refused.upstream && request.committed);
      const again = rows.requests.filter(
        (request: RequestRow) =>
          request.id > refused.id &&
          (changed === undefined || request.id < changed.id) &&
          request.invocationId === refused.invocationId &&
          request.upstream === refused.upstream &&
          request.route === refused.route,
      );
      if (again.length === 0) continue;
      // A later permanent error on the same route is already counted from the first one.
      if (attributed.some((earlier) => earlier.id < refused.id && earlier.invocationId === refused.invocationId && earlier.upstream === refused.upstream && earlier.route === refused.route)) continue;
      invocations.add(refused.invocationId!);
      requests.add(refused.id);
      again.forEach((request) => requests.add(request.id));
      problems.push(
        `invocation ${refused.invocationId} got a permanent ${refused.clientStatus} on ${describeRequest(refused)} and then sent ${refused.upstream} ${refused.route} again: ${again.map(describeRequest).join('; ')}`,
      );
    }
    if (problems.length === 0) {
      return pass(this.name, `${operation}: no request was sent again after a permanent error (${attributed.map((request) => `request ${request.id}: ${request.clientStatus}`).join(', ')})${note}`);
    }
    return fail(this.name, `${operation}: ${problems.join(' | ')}${note}`, {
      invocations: [...invocations],
      requests: [...requests].sort((a, b) => a - b),
    });
  },
};
