import type { Scenario } from '../scenario/load.js';
import type { CaseRecorder } from './recorder.js';

/**
 * How long a target must have been quiet before its case's upstreams close, by
 * target kind. An http API keeps running after it answers (fire-and-forget
 * jobs, write-behind, a handler that goes on after its reply): 100 ms catches
 * work that follows an answer by up to about that, with room for a loaded
 * machine's timer slip at the 50 ms the first outside trial saw. A module's
 * leftover promises and timers run in the harness's own process, mostly within
 * a tick or two. A command's invocation is over only when its whole process
 * group is gone, so nothing of it is left to send: only requests still in
 * flight are waited for.
 */
export const DEFAULT_QUIET_MS = { http: 100, module: 25, command: 0 } as const;
export const DEFAULT_SETTLE_CAP_MS = 2_000;

export interface SettleSettings {
  quietMs: number;
  maxMs: number;
}

/** What the settle window saw. */
export interface SettleReport extends SettleSettings {
  /** How long it stayed open after the caller's last answer. */
  waitedMs: number;
  /** False: it closed at its cap with the target still busy. */
  quiet: boolean;
  /** Requests still unanswered when it closed. */
  inFlight: number;
}

export function settleSettings(scenario: Pick<Scenario, 'target'> & { settle?: { quietMs?: number; maxMs?: number } }): SettleSettings {
  return {
    quietMs: scenario.settle?.quietMs ?? DEFAULT_QUIET_MS[scenario.target.kind],
    maxMs: scenario.settle?.maxMs ?? DEFAULT_SETTLE_CAP_MS,
  };
}

/**
 * Keeps a case's upstreams open until the target has gone quiet: no request
 * of the case in flight, and none started or answered (and no answer of the
 * target) for `quietMs`; or until `maxMs` has passed. Measured on what the
 * upstreams and the caller see (`inFlightNow`: the case's requests not yet
 * answered), not slept: a target that is quiet already
 * costs `quietMs` less the time since its last answer, and with `quietMs` 0
 * and nothing in flight no timer at all.
 */
export async function settleWindow(
  inFlightNow: () => number,
  recorder: CaseRecorder,
  settings: SettleSettings,
  signal?: AbortSignal,
): Promise<SettleReport> {
  const started = performance.now();
  for (;;) {
    const inFlight = inFlightNow();
    const quietFor = recorder.quietFor();
    const waitedMs = performance.now() - started;
    if (inFlight === 0 && quietFor >= settings.quietMs) return { ...settings, waitedMs, quiet: true, inFlight };
    if (waitedMs >= settings.maxMs || signal?.aborted) return { ...settings, waitedMs, quiet: false, inFlight };
    // While a request is in flight, look again soon; else exactly when the quiet time would be up.
    const wait = inFlight > 0 ? 5 : settings.quietMs - quietFor;
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(wait, settings.maxMs - waitedMs))));
  }
}
