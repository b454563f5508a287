import { describeEffect, describeInvocation, fail, pass, skip, type Check } from './check.js';

/** Re-running a completed operation with the same key exits 0, reports `noop` and commits nothing. */
export const replayIsNoop: Check = {
  name: 'replay-is-noop',
  holdsWhen: 're-running a completed operation with the same key exits 0, reports effect `noop`, and commits nothing',
  evaluate({ operation, rows, exitCodes }) {
    const replay = rows.invocations.find((invocation) => invocation.role === 'replay');
    if (!replay) return skip(this.name, `${operation}: no replay (the operation never succeeded, or replay is off)`);
    const requests = rows.requests.filter((request) => request.invocationId === replay.id);
    const committed = rows.effects.filter((effect) => requests.some((request) => request.id === effect.requestId));
    const problems: string[] = [];
    if (replay.killed || replay.exitCode === null || !exitCodes.success.includes(replay.exitCode)) {
      problems.push(`${describeInvocation(replay)} did not exit with a success code`);
    }
    if (replay.effect !== 'noop') {
      problems.push(replay.effect === null ? 'it reported no effect field' : `it reported effect "${replay.effect}"`);
    }
    if (committed.length > 0) problems.push(`it committed ${committed.map(describeEffect).join('; ')}`);
    if (problems.length === 0) return pass(this.name, `${operation}: the replay with key ${replay.key} was a noop`);
    return fail(this.name, `${operation}: replay with key ${replay.key}: ${problems.join('; ')}`, {
      invocations: [replay.id],
      requests: requests.map((request) => request.id),
      effects: committed.map((effect) => effect.id),
    });
  },
};
