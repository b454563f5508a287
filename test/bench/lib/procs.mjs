// Child processes and ports of the benchmark: every child is tracked and
// killed (by its own pid, and its process group when it has one) at the end,
// also when the bench fails or is interrupted.
import { spawn } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';

const children = new Set();
// Whatever way this process ends, no child outlives it.
process.on('exit', () => killAllTracked());

/** Spawns a tracked child (never through a shell). */
export function spawnTracked(command, args, options = {}) {
  const child = spawn(command, args, { shell: false, ...options });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Reads JSON lines from a child's stdout. */
export function jsonLines(child) {
  const rl = readline.createInterface({ input: child.stdout });
  const iterator = rl[Symbol.asyncIterator]();
  return {
    async next(timeoutMs = 15_000, what = 'a line') {
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no ${what} from child ${child.pid} within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const { value, done } = await Promise.race([iterator.next(), timeout]);
        if (done) throw new Error(`child ${child.pid} closed its output before ${what}`);
        return JSON.parse(value);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Waits for a child to exit, killing it (SIGTERM, then SIGKILL) if it takes longer than `graceMs`. */
export async function stopChild(child, graceMs = 3_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const kill = (signal) => {
    try {
      if (child.pid !== undefined) process.kill(child.pid, signal);
    } catch {
      // already gone
    }
  };
  kill('SIGTERM');
  const timer = setTimeout(() => kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Kills whatever is still running (the last resort of run.mjs). */
export function killAllTracked() {
  for (const child of children) {
    try {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}

export function trackedCount() {
  return children.size;
}

/** A free TCP port on 127.0.0.1 (mountebank needs its ports named up front). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
