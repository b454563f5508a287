import type { InvocationRow, RequestRow } from '../../ledger/rows.js';
import { candidateInvocations, describeRequest, fail, isMutatingMethod, pass, plural, scenarioFacts, skip, type Check } from '../check.js';

/** The invocations that try to get one operation done with one caller key. */
const ROLES: readonly InvocationRow['role'][] = ['baseline', 'attempt', 'replay', 'concurrent'];

/**
 * Every mutating upstream request made for one caller key to one upstream
 * route carries the same Idempotency-Key: within an invocation (the target's
 * own retries) and across the invocations that used that caller key (the
 * caller's retries with the same key, and the replay). A request without a key
 * among requests with one breaks it too. The key need not equal the caller's
 * key (a target may derive its own), only stay the same.
 *
 * Where the clean run makes several records on one route, "the same request"
 * also means the same body, by the request's fingerprint (generated ids,
 * timestamps and the caller's keys left out): a tool that creates several
 * different records on one route for one operation may give each its own key;
 * sending one record twice under two keys is what fails. Where it makes one,
 * every request to the route is that record's, whatever a retry changed in
 * its body (an attempt counter).
 *
 * The probes' extra invocations are not judged: a mismatch sends another
 * payload (a target may rightly derive another key from it), a dry run sends
 * nothing that mutates, a missing-key probe sends no key on purpose. Requests
 * recorded without invocation (sent while several ran) belong to a caller key
 * when every invocation running at that moment used that key.
 *
 * A target that is not handed the caller's key (a command with no {{key}} in
 * its argv, args or env) makes its own, once per run: then only its own
 * retries within one invocation are compared, not its separate runs (what a
 * new key per run costs is the effects checks' to find).
 *
 * Skips when no mutating request carried an Idempotency-Key (the target sends
 * none, so there is nothing to keep stable; no-duplicate-effects judges what
 * that costs).
 */
export const keyStableAcrossRetries: Check = {
  name: 'key-stable-across-retries',
  holdsWhen: "the target's own retries of one operation send the same Idempotency-Key upstream",
  evaluate(input) {
    const { operation, rows } = input;
    const ownKeyPerRun = scenarioFacts(input).keyWithheldFrom.includes(operation);
    const mutating = rows.requests.filter((request) => isMutatingMethod(request.method));
    if (!mutating.some((request) => request.idempotencyKey !== null)) {
      return skip(this.name, `${operation}: no mutating upstream request carried an Idempotency-Key (${plural(mutating.length, 'mutating request')}), so there is no key to keep stable`);
    }
    const groups = new Map<string, { callerKey: string; route: string; requests: RequestRow[]; invocations: Set<number> }>();
    let unattributed = 0;
    for (const request of mutating) {
      const candidates = candidateInvocations(rows, request);
      const callerKeys = new Set(candidates.map((invocation) => invocation.key));
      if (candidates.length === 0 || callerKeys.size !== 1 || !candidates.every((invocation) => ROLES.includes(invocation.role))) {
        if (candidates.length === 0 || callerKeys.size !== 1) unattributed += 1;
        continue;
      }
      if (ownKeyPerRun && candidates.length !== 1) {
        unattributed += 1;
        continue;
      }
      const callerKey = [...callerKeys][0]!;
      const route = `${request.upstream} ${request.route}`;
      const scope = ownKeyPerRun ? `invocation ${candidates[0]!.id}` : callerKey;
      // Where the clean run makes one record on this route, every request there is that record's, whatever
      // its body: a per-attempt value (an attempt counter, a client timestamp) must not split a retry from
      // the request it repeats (issue 18, hole 6). Only where it makes several are bodies told apart.
      const oneRecord = input.baseline.routeCounts.get(route) === 1;
      const id = `${scope}\0${route}\0${oneRecord ? '' : request.bodyFingerprint}`;
      const group = groups.get(id) ?? { callerKey, route, requests: [], invocations: new Set<number>() };
      group.requests.push(request);
      candidates.forEach((invocation) => group.invocations.add(invocation.id));
      groups.set(id, group);
    }
    const problems: string[] = [];
    const requests: number[] = [];
    const invocations = new Set<number>();
    let judged = 0;
    for (const group of groups.values()) {
      if (group.requests.length < 2) continue;
      judged += 1;
      const keys = new Set(group.requests.map((request) => request.idempotencyKey));
      if (keys.size <= 1) continue;
      const shown = [...keys].map((key) => (key === null ? 'no key' : `"${key}"`)).join(', ');
      problems.push(
        `${plural(group.requests.length, 'request')} to ${group.route} for caller key ${group.callerKey} carried ${keys.size} different Idempotency-Keys (${shown}): ${group.requests
          .map((request) => `${describeRequest(request)} by invocation ${request.invocationId ?? '?'} with ${request.idempotencyKey === null ? 'no key' : `"${request.idempotencyKey}"`}`)
          .join('; ')}`,
      );
      requests.push(...group.requests.map((request) => request.id));
      group.invocations.forEach((id) => invocations.add(id));
    }
    const note = unattributed > 0 ? ` (${plural(unattributed, 'request')} could not be tied to one caller key)` : '';
    if (problems.length > 0) {
      return fail(this.name, `${operation}: ${problems.join(' | ')}${note}`, { invocations: [...invocations].sort((a, b) => a - b), requests });
    }
    if (judged === 0) {
      return pass(this.name, `${operation}: no mutating request was sent twice for one caller key, so every key sent was the only one${note}`);
    }
    return pass(this.name, `${operation}: every repeated mutating request kept its Idempotency-Key (${plural(judged, 'route')} with repeats)${note}`);
  },
};
