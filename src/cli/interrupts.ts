import { killAllGroups } from '../targets/process-group.js';

/** Exit statuses of a run stopped by a signal: 128 + the signal number, as shells report it. */
export const INTERRUPT_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

export interface InterruptHandle {
  signal: AbortSignal;
  /** The signal that interrupted the run, if one did. */
  received(): 'SIGINT' | 'SIGTERM' | undefined;
  dispose(): void;
}

/**
 * First SIGINT/SIGTERM: kill every target process group at once, stop
 * starting cases, and let the run close its upstreams and write a report
 * marked incomplete. A second one: exit now (the process groups are already
 * dead, and the listening sockets die with this process).
 */
export function installInterruptHandlers(stderr: NodeJS.WritableStream = process.stderr): InterruptHandle {
  const controller = new AbortController();
  let received: 'SIGINT' | 'SIGTERM' | undefined;
  const onSignal = (name: 'SIGINT' | 'SIGTERM'): void => {
    if (received) {
      killAllGroups();
      stderr.write(`\nretryproof: ${name} again: exiting now\n`);
      process.exit(INTERRUPT_EXIT[name]);
    }
    received = name;
    stderr.write(`\nretryproof: ${name}: stopping targets and writing a report of what finished (${name} again to exit at once)\n`);
    killAllGroups();
    controller.abort(name);
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
