import { createHash } from 'node:crypto';

/**
 * Idempotency keys the caller hands the target. Deterministic (same scenario
 * and case, same keys) so that a schedule replays exactly, and made of
 * characters any tool accepts in a file name or header.
 */
export function callerKey(scenario: string, caseId: string, n: number): string {
  const digest = createHash('sha256').update(`${scenario}\0${caseId}`).digest('hex').slice(0, 12);
  return `rp-${digest}-${n}`;
}
