import { monitorEventLoopDelay } from 'node:perf_hooks';

/** How often the meter's timer asks to run (ms): its own period is left out of what it reports. */
const RESOLUTION_MS = 10;

/**
 * Measures how late the harness's own event loop ran while a case ran: the
 * longest delay, beyond the meter's own period, between when a timer was due
 * and when it ran. On a busy machine every process is scheduled late, the
 * target included; a wait measured on the harness's clock (retry-policy's
 * back-off) can be that much longer, or shorter, than the one the target
 * meant. It is the scheduling noise a timing verdict's tolerance follows
 * (issue 13, class 8).
 */
export function startNoiseMeter(): { stop(): number } {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  return {
    stop() {
      histogram.disable();
      const maxMs = histogram.max / 1e6;
      return Number.isFinite(maxMs) ? Math.max(0, Math.round(maxMs - RESOLUTION_MS)) : 0;
    },
  };
}
