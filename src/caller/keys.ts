import { createHash } from 'node:crypto';

/**
 * Idempotency keys the caller hands the target. Deterministic (same scenario
 * and case, same keys) so that a schedule replays exactly, and made of
 * characters any tool accepts in a file name or header.
 */
export function callerKey(scenario: string, caseId: string, n: number): string {
  return `rp-${callerKeyDigest(scenario, caseId)}-${n}`;
}

/** The part every caller key of one case shares (`rp-<digest>-N`). */
export function callerKeyDigest(scenario: string, caseId: string): string {
  return createHash('sha256').update(`${scenario}\0${caseId}`).digest('hex').slice(0, 12);
}

const CALLER_KEY = /(?:^|[^0-9a-z])rp-([0-9a-f]{12})-\d+/;

/**
 * The case digest of a key that is or contains a caller key (a target may add
 * to it: `rp-…-1-a2`, `order-rp-…-1`); undefined for any other key.
 */
export function digestOfCallerKey(key: string): string | undefined {
  return CALLER_KEY.exec(key)?.[1];
}
