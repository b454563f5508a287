import { spawn } from 'node:child_process';
import { RetryproofError } from '../errors.js';
import { BoundedOutput } from './bounded-output.js';
import { effectOf, parseJsonOutput } from './parse-output.js';
import { signalGroup, trackGroup, untrackGroup, waitForGroupGone } from './process-group.js';
import type { InvocationRequest, Observation, RunningInvocation } from './target.js';

export interface CommandLimits {
  timeoutMs: number;
  killGraceMs: number;
  maxOutputBytes: number;
}

/** How long to wait for output pipes to close after the process exits (a grandchild may hold them). */
const PIPE_DRAIN_MS = 200;

/**
 * Runs an executable from an argv array, never through a shell, in its own
 * process group. At the timeout the group gets SIGTERM, then SIGKILL after the
 * grace period; when the process exits, whatever is left of its group is killed
 * too, so no child of a target outlives its invocation.
 */
export function startCommand(request: InvocationRequest, limits: CommandLimits): RunningInvocation {
  const [program, ...args] = request.argv;
  if (!program) throw new RetryproofError('TARGET_SPAWN_FAILED', 'the target argv is empty', { field: 'target.argv' }, 'name a program to run');
  const started = performance.now();
  const child = spawn(program, args, {
    cwd: request.cwd,
    env: request.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: false,
  });
  const stdout = new BoundedOutput(child.stdout, limits.maxOutputBytes);
  const stderr = new BoundedOutput(child.stderr, limits.maxOutputBytes);
  const pgid = child.pid;
  if (pgid !== undefined) trackGroup(pgid);
  let killReason: Observation['killReason'] = null;
  let timers: NodeJS.Timeout[] = [];

  let exited = false;
  const kill = (reason: 'timeout' | 'crash', signal: NodeJS.Signals): void => {
    // After exit the group id may already belong to someone else.
    if (pgid === undefined || exited) return;
    killReason ??= reason;
    signalGroup(pgid, signal);
  };

  timers.push(
    setTimeout(() => {
      kill('timeout', 'SIGTERM');
      timers.push(setTimeout(() => kill('timeout', 'SIGKILL'), limits.killGraceMs));
    }, limits.timeoutMs),
  );

  const done = new Promise<Observation>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      timers.forEach(clearTimeout);
      if (pgid !== undefined) untrackGroup(pgid);
      reject(
        new RetryproofError(
          'TARGET_SPAWN_FAILED',
          `cannot start ${JSON.stringify(program)} (${error.code ?? error.message})`,
          { field: 'target.argv[0]' },
          error.code === 'ENOENT' ? 'check the program name and the PATH, or give a path relative to target.cwd' : 'check that the program is executable',
          { cause: error },
        ),
      );
    });
    child.once('exit', (code, signal) => {
      timers.forEach(clearTimeout);
      timers = [];
      // Whatever the target forked dies with it, before the invocation counts as over.
      let groupGone: Promise<unknown> = Promise.resolve();
      if (pgid !== undefined) {
        signalGroup(pgid, 'SIGKILL');
        groupGone = waitForGroupGone(pgid).finally(() => untrackGroup(pgid));
      }
      exited = true;
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        void groupGone.then(() => report());
      };
      const report = (): void => {
        const out = stdout.text();
        const json = parseJsonOutput(out);
        resolve({
          exitCode: code,
          signal,
          killed: killReason !== null,
          killReason,
          stdout: out,
          stderr: stderr.text(),
          stdoutJson: json ?? null,
          effect: effectOf(json),
          outputTruncated: stdout.truncated || stderr.truncated,
          durationMs: Math.round(performance.now() - started),
        });
      };
      // Wait for the pipes to drain, but not forever: a daemonised grandchild may hold them.
      // The wait starts once the group is gone (until then a member may still be writing),
      // and ends a turn of the event loop after the timer: timers run before the poll
      // phase, so after a busy spell the output already in the pipe is read before the
      // pipes are closed, not thrown away (an effect-field false alarm at load 12).
      let drain: NodeJS.Timeout | undefined;
      void groupGone.then(() => {
        if (finished) return;
        drain = setTimeout(() => {
          setImmediate(() => {
            child.stdout.destroy();
            child.stderr.destroy();
            finish();
          });
        }, PIPE_DRAIN_MS);
      });
      let open = 2;
      const closed = (): void => {
        open -= 1;
        if (open === 0) {
          if (drain) clearTimeout(drain);
          finish();
        }
      };
      if (child.stdout.closed) closed();
      else child.stdout.once('close', closed);
      if (child.stderr.closed) closed();
      else child.stderr.once('close', closed);
    });
  });

  return {
    done,
    crash: () => kill('crash', 'SIGKILL'),
  };
}
