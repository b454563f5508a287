import type { CheckName } from '../core/check-names.js';
import type { CheckResult } from '../core/check-result.js';

/** Checks whose verdict rests on measured time (the waits between a target's retries). */
export const TIMING_CHECKS: readonly CheckName[] = ['retry-policy'];

/**
 * A stall of the harness's own event loop (ms, the case's measured scheduling
 * noise) from which any failure of the case is confirmed, not only a timing
 * check's: so late, the harness reads a request after the target's own timeout
 * fired (the target then says `unknown` or retries, honestly), and a request
 * of the case can arrive in the next one. Typical noise under load is tens of ms.
 */
export const STALL_MS = 200;

/**
 * A verdict built on timing must hold on a loaded machine: a timing check
 * that failed is confirmed by running the case again (as `<id>/confirm`, its
 * own case in the ledger). Failed again: the failure stands, and says it was
 * confirmed. Held: it is reported as an unconfirmed warning, which does not
 * fail the run, and `amend` rewrites the ledger's verdict to match. After a
 * stall of the harness (schedulingNoiseMs >= STALL_MS) every failed check is
 * confirmed this way: a real bug fails again, a stall seldom comes twice.
 */
export async function confirmTimingFailures(
  id: string,
  checks: CheckResult[],
  rerun: (confirmId: string, names: readonly CheckName[]) => Promise<CheckResult[]>,
  amend: (check: CheckResult) => void,
  schedulingNoiseMs = 0,
): Promise<CheckResult[]> {
  const stalled = schedulingNoiseMs >= STALL_MS;
  const failing = checks.filter((check) => check.status === 'fail' && (stalled || TIMING_CHECKS.includes(check.check)));
  if (failing.length === 0) return checks;
  const confirmId = `${id}/confirm`;
  const again = await rerun(confirmId, failing.map((check) => check.check));
  return checks.map((check) => {
    if (!failing.includes(check)) return check;
    const second = again.find((result) => result.check === check.check);
    const timing = TIMING_CHECKS.includes(check.check);
    // A failure confirmed only because of a stall keeps its words: whether the machine stalled must not change a verdict's text.
    const judged: CheckResult =
      second?.status === 'fail'
        ? timing
          ? { ...check, message: `${check.message} (confirmed: it failed again when the case ran again as ${confirmId})` }
          : check
        : {
            ...check,
            status: 'warn',
            message: `unconfirmed ${timing ? 'timing failure' : `failure (the harness stalled ${schedulingNoiseMs} ms during the case)`}: ${check.message}; when the case ran again as ${confirmId}, ${check.check} held, so a loaded machine may have made it`,
          };
    if (judged !== check) amend(judged);
    return judged;
  });
}
