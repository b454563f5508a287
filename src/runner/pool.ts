/**
 * Runs tasks on a fixed set of lanes (each lane one case at a time) and
 * returns results in task order, whatever order they finish in: so results do
 * not depend on the concurrency. `shouldStop` ends the run early: tasks not
 * yet started are skipped, and their results are absent.
 */
export async function runOnLanes<L, T, R>(
  lanes: readonly L[],
  tasks: readonly T[],
  run: (lane: L, task: T, index: number) => Promise<R>,
  shouldStop: (result: R, index: number) => boolean = () => false,
): Promise<Array<R | undefined>> {
  const results: Array<R | undefined> = new Array(tasks.length);
  let next = 0;
  let stopAfter = Number.POSITIVE_INFINITY;
  const worker = async (lane: L): Promise<void> => {
    while (next < tasks.length && next <= stopAfter) {
      const index = next;
      next += 1;
      const result = await run(lane, tasks[index]!, index);
      results[index] = result;
      if (shouldStop(result, index)) stopAfter = Math.min(stopAfter, index);
    }
  };
  await Promise.all(lanes.map((lane) => worker(lane)));
  // Tasks after the first stop may have finished on another lane: drop them, so results match a one-lane run.
  if (stopAfter !== Number.POSITIVE_INFINITY) results.fill(undefined, stopAfter + 1);
  return results;
}
