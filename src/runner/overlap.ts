import type { Scenario } from '../scenario/load.js';
import { settleSettings } from './settle.js';
import type { RunningUpstreams } from './upstreams.js';

/**
 * A lane's cases, with each case's settle window overlapping the next case.
 *
 * A settle window keeps a case's upstreams open until the target has been
 * quiet for `settle.quietMs` (100 ms for an http API), so that work the API
 * does after its answer is the case's own. Waiting it out before the next case
 * costs those 100 ms on every case. Instead, once a case's invocations are
 * over it hands over: the lane begins the next case while the window stays
 * open, and each upstream request goes to the case whose caller's key it
 * carries (every case has its own keys, see caller/keys.ts), served by that
 * case's own upstream state (a model instance of its own, see UpstreamPipeline).
 *
 * A request that could belong to more than one open case (no caller's key),
 * or a crash or restart fault while several cases are open (it would stop the
 * API under all of them), is a conflict: the lane stops overlapping for the
 * rest of the run, and every open case is run again on its own, one after the
 * other, with fresh keys. So a verdict never rests on a guess; a target that
 * sends upstream requests without the caller's key pays one pair of cases run
 * twice, then settles as before.
 *
 * A lane has the running case and at most `maxSettling` settling ones (one
 * model instance each); a case that finds that many still open waits for the
 * oldest to close before it hands over.
 */
export class LaneOverlap {
  private enabled = true;
  /** How many cases handed over (the next case began while their window was open). */
  handedOver = 0;
  private chain: Promise<void> = Promise.resolve();
  /** The open windows of cases that handed over, each resolving when it closes. */
  private readonly windows = new Set<Promise<void>>();

  constructor(readonly maxSettling: number) {}

  /** Whether cases on this lane still overlap (false after a conflict). */
  get active(): boolean {
    return this.enabled;
  }

  /** A conflict was seen: from now on every case settles before the next begins. */
  disable(): void {
    this.enabled = false;
  }

  /** Waits until no other case of the lane is running its invocations (first come, first served); returns the release. */
  async acquire(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const before = this.chain;
    this.chain = before.then(() => mine);
    await before;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  }

  /** Resolves when every case that handed over has closed its settle window. */
  async quiet(): Promise<void> {
    while (this.windows.size > 0) await Promise.all(this.windows);
  }

  /** Resolves when one more case may hand over (fewer than `maxSettling` windows open). */
  async room(): Promise<void> {
    while (this.windows.size >= this.maxSettling) await Promise.race(this.windows);
  }

  /** A case hands over; call what this returns when its settle window has closed. */
  handOver(): () => void {
    this.handedOver += 1;
    let closed!: () => void;
    const window = new Promise<void>((resolve) => {
      closed = resolve;
    });
    this.windows.add(window);
    return () => {
      this.windows.delete(window);
      closed();
    };
  }
}

/** What executeCase gets from its lane: the overlap, and how to let the lane begin its next case. */
export interface LaneTurn {
  overlap: LaneOverlap;
  /** The lane may begin its next case (this case's invocations are over). */
  release(): void;
  /** Run wholly on its own: no case settling meanwhile, and no hand-over (a rerun, a timing confirmation, the missing-key probe). */
  alone?: boolean;
}

/**
 * How many cases of a lane may settle while the next runs (0: none). An http API that lives from case to case
 * (restart: never, or a base URL), with a settle window, upstreams whose
 * models can be instantiated again (built-in ones, not users' msw modules),
 * and no state of its own the harness reads after each case (state probes,
 * services): those read the API's state, which the next case would change.
 */
export function settlingCapacity(scenario: Scenario, upstreams: RunningUpstreams): number {
  const target = scenario.target;
  if (target.kind !== 'http' || target.start?.restart === 'per-case') return 0;
  if ((scenario.state?.length ?? 0) > 0 || Object.keys(scenario.services ?? {}).length > 0) return 0;
  if (settleSettings(scenario).quietMs <= 0 || upstreams.pipelines.length === 0) return 0;
  return Math.min(...upstreams.pipelines.map((pipeline) => pipeline.maxSettling));
}
