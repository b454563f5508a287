import { Interrupted } from './interrupted.js';

/**
 * Runs tasks on a fixed set of lanes (each lane one case at a time, but see
 * `release`) and returns results in task order, whatever order they finish
 * in: so results do not depend on the concurrency. `shouldStop` ends the run
 * early: tasks not yet started are skipped, and results after the stopping
 * task are dropped, so they match a one-lane run. An interrupt (a task
 * throwing Interrupted, or the signal) stops starting tasks and keeps what
 * finished.
 *
 * A task may call `release` before it finishes: its lane then starts its next
 * task while this one completes (a case whose settle window stays open while
 * the next case runs, see overlap.ts). The run ends when every task has.
 */
export async function runOnLanes<L, T, R>(
  lanes: readonly L[],
  tasks: readonly T[],
  run: (lane: L, task: T, index: number, release: () => void) => Promise<R>,
  shouldStop: (result: R, index: number) => boolean = () => false,
  signal?: AbortSignal,
): Promise<Array<R | undefined>> {
  const results: Array<R | undefined> = new Array(tasks.length);
  let next = 0;
  let stopAfter = Number.POSITIVE_INFINITY;
  let failure: { error: unknown } | undefined;
  const finishing: Array<Promise<void>> = [];
  const worker = async (lane: L): Promise<void> => {
    while (next < tasks.length && next <= stopAfter && !signal?.aborted && !failure) {
      const index = next;
      next += 1;
      let release!: () => void;
      const released = new Promise<'released'>((resolve) => {
        release = () => resolve('released');
      });
      const done = run(lane, tasks[index]!, index, release).then(
        (result) => {
          results[index] = result;
          if (shouldStop(result, index)) stopAfter = Math.min(stopAfter, index);
        },
        (error: unknown) => {
          if (!(error instanceof Interrupted)) failure ??= { error };
          throw error;
        },
      );
      finishing.push(done.catch(() => undefined));
      try {
        await Promise.race([released, done]);
      } catch (error) {
        if (error instanceof Interrupted) return;
        throw error;
      }
    }
  };
  const workers = await Promise.allSettled(lanes.map((lane) => worker(lane)));
  await Promise.all(finishing);
  if (failure) throw failure.error;
  for (const outcome of workers) if (outcome.status === 'rejected') throw outcome.reason;
  if (stopAfter !== Number.POSITIVE_INFINITY) results.fill(undefined, stopAfter + 1);
  return results;
}
