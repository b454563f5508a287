import {
  describeEffect,
  describeInvocation,
  describeRequest,
  effectsOfRequests,
  fail,
  isMutatingMethod,
  pass,
  requestsOf,
  skip,
  type Check,
} from '../check.js';

/**
 * A dry run (the probe:dry-run case's 'dry-run' invocation, made with the
 * operation's `dryRun` arguments, headers or query) does nothing: it sends no
 * mutating upstream request (anything but GET, HEAD and OPTIONS: looking
 * things up is how a dry run finds out what it would do) and commits nothing.
 * What it says (`would_*`, a success exit) is effect-field's business.
 */
export const dryRunNoEffects: Check = {
  name: 'dry-run-no-effects',
  holdsWhen: 'a dry run sends no mutating upstream request and commits nothing',
  evaluate(input) {
    const { operation, rows } = input;
    const dryRun = rows.invocations.find((invocation) => invocation.role === 'dry-run');
    if (!dryRun) {
      return skip(this.name, `${operation}: not a dry-run probe (the operation declares no dryRun, or probes.dryRun is off)`);
    }
    const requests = requestsOf(rows, dryRun.id);
    const mutating = requests.filter((request) => isMutatingMethod(request.method));
    const committed = effectsOfRequests(rows, requests);
    const problems: string[] = [];
    if (mutating.length > 0) problems.push(`it sent ${mutating.map(describeRequest).join('; ')}`);
    if (committed.length > 0) problems.push(`it committed ${committed.map(describeEffect).join('; ')}`);
    if (problems.length === 0) {
      return pass(this.name, `${operation}: the dry run sent no mutating request (${requests.length} read${requests.length === 1 ? '' : 's'})`);
    }
    return fail(this.name, `${operation}: dry run ${describeInvocation(dryRun)}: ${problems.join('; ')}`, {
      invocations: [dryRun.id],
      requests: mutating.map((request) => request.id),
      effects: committed.map((effect) => effect.id),
    });
  },
};
