import { Interrupted } from './interrupted.js';

/**
 * Runs tasks on a fixed set of lanes (each lane one case at a time) and
 * returns results in task order, whatever order they finish in: so results do
 * not depend on the concurrency. `shouldStop` ends the run early: tasks not
 * yet started are skipped, and results after the stopping task are dropped,
 * so they match a one-lane run. An interrupt (a task throwing Interrupted, or
 * the signal) stops starting tasks and keeps what finished.
 */
export async function runOnLanes<L, T, R>(
  lanes: readonly L[],
  tasks: readonly T[],
  run: (lane: L, task: T, index: number) => Promise<R>,
  shouldStop: (result: R, index: number) => boolean = () => false,
  signal?: AbortSignal,
): Promise<Array<R | undefined>> {
  const results: Array<R | undefined> = new Array(tasks.length);
  let next = 0;
  let stopAfter = Number.POSITIVE_INFINITY;
  const worker = async (lane: L): Promise<void> => {
    while (next < tasks.length && next <= stopAfter && !signal?.aborted) {
      const index = next;
      next += 1;
      try {
        const result = await run(lane, tasks[index]!, index);
        results[index] = result;
        if (shouldStop(result, index)) stopAfter = Math.min(stopAfter, index);
      } catch (error) {
        if (error instanceof Interrupted) return;
        throw error;
      }
    }
  };
  await Promise.all(lanes.map((lane) => worker(lane)));
  if (stopAfter !== Number.POSITIVE_INFINITY) results.fill(undefined, stopAfter + 1);
  return results;
}
