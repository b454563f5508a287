import type { FaultBinding } from '../core/schedule.js';

/** How long a concurrency probe holds the first upstream request before it commits: the race window. */
export const RACE_WINDOW_MS = 150;

/**
 * The race window as a fault binding: the first request to `upstream` waits
 * RACE_WINDOW_MS before the upstream commits it, so the other racer's request
 * arrives meanwhile and a check-then-act race is caught every time, not by luck.
 */
export function raceWindow(upstream: string): FaultBinding {
  return { upstream, ordinal: 1, fault: 'slow', params: { delayBeforeCommitMs: RACE_WINDOW_MS, delayMs: 0 } };
}
