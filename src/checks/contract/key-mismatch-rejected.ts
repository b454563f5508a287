import {
  describeFaultOutcome,
  describeInvocation,
  fail,
  pass,
  requestsOf,
  scenarioFacts,
  shortJson,
  skip,
  type Check,
  type ExitCodeContract,
} from '../check.js';
import type { InvocationRow } from '../../ledger/rows.js';

/** The status the IETF Idempotency-Key draft gives a key reused with another payload. */
export const MISMATCH_STATUS = 422;

/**
 * The same key with a different payload (the probe:key-mismatch case's
 * 'mismatch' invocation, sent after the operation succeeded) is refused and
 * commits nothing.
 *
 * Refused means: for command and module targets, a clean exit with a code that
 * is not a success code (which failure code is exit-codes' business); for http
 * targets, 422 and only 422 (draft-ietf-httpapi-idempotency-key-header) — any
 * other status fails, and the message says what came back. An invocation that
 * was killed or got no answer did not refuse. What it committed is
 * mismatch-commits-nothing's business.
 */
export const keyMismatchRejected: Check = {
  name: 'key-mismatch-rejected',
  holdsWhen: 'the same key with a different payload is refused (non-zero exit, or 422 for HTTP)',
  evaluate(input) {
    const { operation, rows, exitCodes, schedule } = input;
    const mismatch = rows.invocations.find((invocation) => invocation.role === 'mismatch');
    if (!mismatch) {
      return skip(
        this.name,
        schedule.caller.mismatch
          ? `${operation}: the mismatch was never sent (it follows a success, and no attempt succeeded)`
          : `${operation}: not a key-mismatch probe (no invocation reused the key with another payload)`,
      );
    }
    const kind = mismatch.targetKind ?? scenarioFacts(input).targetKind;
    const requests = requestsOf(rows, mismatch.id);
    // The harness's own faults on the mismatch's requests (a crash, a 503, a lost answer) may stop a
    // target that was about to refuse: then only a success claim is wrong, and the message says what happened.
    const faulted = requests.filter((request) => !['none', 'slow'].includes(request.fault));
    if (faulted.length > 0 && !claimsSuccess(mismatch, kind, exitCodes)) {
      const what = faulted.map(describeFaultOutcome).join('; ');
      return skip(this.name, `${operation}: the mismatch ${describeInvocation(mismatch)} was stopped by a fault of the schedule, not judged: ${what}`);
    }
    const problems: string[] = [];
    if (mismatch.killed || mismatch.signal !== null) {
      problems.push(`${describeInvocation(mismatch)} gave no answer instead of refusing`);
    } else if (kind === 'http') {
      if (mismatch.httpStatus === null || mismatch.httpStatus === undefined) {
        problems.push(`${describeInvocation(mismatch)} got no response instead of ${MISMATCH_STATUS}`);
      } else if (mismatch.httpStatus !== MISMATCH_STATUS) {
        problems.push(
          `${describeInvocation(mismatch)} answered ${mismatch.httpStatus} (body ${shortJson(mismatch.stdoutJson ?? mismatch.stdout, 80)}) instead of ${MISMATCH_STATUS}`,
        );
      }
    } else if (mismatch.exitCode === null) {
      problems.push(`${describeInvocation(mismatch)} gave no exit code instead of refusing`);
    } else if (exitCodes.success.includes(mismatch.exitCode)) {
      problems.push(
        `${describeInvocation(mismatch)} exited with a success code${mismatch.effect ? ` and reported effect "${mismatch.effect}"` : ''} instead of refusing`,
      );
    }
    const what = `the same key ${mismatch.key} with a different payload`;
    if (problems.length === 0) {
      const how = kind === 'http' ? `${MISMATCH_STATUS}` : `exit ${mismatch.exitCode}`;
      return pass(this.name, `${operation}: ${what} was refused (${how})`);
    }
    return fail(this.name, `${operation}: ${what} was not refused: ${problems.join('; ')}`, {
      invocations: [mismatch.id],
      requests: requests.map((request) => request.id),
    });
  },
};

/** Whether the mismatch answered as if it had done the work: a success exit, or a 2xx. */
function claimsSuccess(mismatch: InvocationRow, kind: string, exitCodes: ExitCodeContract): boolean {
  if (mismatch.killed || mismatch.signal !== null) return false;
  if (kind === 'http') return mismatch.httpStatus !== null && mismatch.httpStatus !== undefined && mismatch.httpStatus >= 200 && mismatch.httpStatus < 300;
  return mismatch.exitCode !== null && exitCodes.success.includes(mismatch.exitCode);
}
