import type { CheckResult } from '../core/check-result.js';

/**
 * An HTTP API may go on working after its answer (an audit record, an outbox
 * flush), and the caller sends its replay right after that answer: a commit
 * while the replay runs may be the earlier invocation's late work, not the
 * replay's, and nothing in the request tells them apart (both carry the key).
 * So a replay-commits-nothing failure of an HTTP API is checked by running the
 * case again (as `<id>/quiet-replay`, its own case in the ledger) with the
 * replay sent only once the API had gone quiet (the settle window's rule).
 * Failed again: the failure stands, and says so. Held: the first run's commit
 * was the earlier invocation's work after its answer; the check passes, and
 * `amend` rewrites the ledger's verdict to match.
 */
export async function confirmReplayFailure(
  id: string,
  checks: CheckResult[],
  rerun: (confirmId: string) => Promise<CheckResult[]>,
  amend: (check: CheckResult) => void,
): Promise<CheckResult[]> {
  const failed = checks.find((check) => check.check === 'replay-commits-nothing' && check.status === 'fail');
  if (!failed) return checks;
  const confirmId = `${id}/quiet-replay`;
  const again = (await rerun(confirmId)).find((check) => check.check === failed.check);
  const judged: CheckResult =
    again?.status === 'fail'
      ? { ...failed, message: `${failed.message} (confirmed: it failed again when the case ran again as ${confirmId}, the replay sent after the API had gone quiet)` }
      : {
          check: failed.check,
          status: 'pass',
          message: `${again?.message ?? 'the replay committed nothing'} (when the case ran again as ${confirmId}, with the replay sent after the API had gone quiet: in the first run the commit during the replay was the earlier invocation's work after its answer: ${failed.message})`,
        };
  amend(judged);
  return checks.map((check) => (check === failed ? judged : check));
}
