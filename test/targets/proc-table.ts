/**
 * Reads the Linux process table and socket table directly (/proc), so tests
 * check what is really alive rather than what the harness believes.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  /** R, S, D, Z (zombie), T... */
  state: string;
  comm: string;
  cmdline: string[];
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const [state = '?', ppid = '0', pgid = '0'] = stat.slice(close + 2).split(' ');
    let cmdline: string[] = [];
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      // Gone between the two reads.
    }
    return { pid, ppid: Number(ppid), pgid: Number(pgid), state, comm: stat.slice(open + 1, close), cmdline };
  } catch {
    return undefined;
  }
}

/** Every process in the table right now (zombies included). */
export function processTable(): Proc[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProc(Number(name)))
    .filter((proc): proc is Proc => proc !== undefined);
}

/** Live (non-zombie) processes of a process group. */
export function liveInGroup(pgid: number): Proc[] {
  return processTable().filter((proc) => proc.pgid === pgid && proc.state !== 'Z');
}

/** Whether a pid is a live, non-zombie process. */
export function isAlive(pid: number): boolean {
  const proc = readProc(pid);
  return proc !== undefined && proc.state !== 'Z';
}

/** Live processes whose environment holds NAME=VALUE (inherited by every descendant of a target). */
export function liveWithEnv(name: string, value: string): Proc[] {
  const needle = `${name}=${value}`;
  return processTable().filter((proc) => {
    if (proc.state === 'Z' || proc.pid === process.pid) return false;
    try {
      return readFileSync(`/proc/${proc.pid}/environ`, 'utf8').split('\0').includes(needle);
    } catch {
      return false;
    }
  });
}

/** Live descendants of a pid (children, their children...), by the parent links of the table. */
export function liveDescendants(root: number): Proc[] {
  const table = processTable();
  const found: Proc[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const proc of table) {
      if (proc.ppid === parent) {
        frontier.push(proc.pid);
        if (proc.state !== 'Z') found.push(proc);
      }
    }
  }
  return found;
}

/** SIGKILLs the given processes (cleanup after a failed test: only pids the test itself started). */
export function killPids(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export interface ListeningSocket {
  inode: string;
  address: string;
  port: number;
  family: 'tcp' | 'tcp6';
}

/** TCP sockets in LISTEN state that belong to `pid` (matched by socket inode through /proc/PID/fd). */
export function listeningSocketsOf(pid: number = process.pid): ListeningSocket[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // Closed meanwhile.
    }
  }
  const sockets: ListeningSocket[] = [];
  for (const family of ['tcp', 'tcp6'] as const) {
    const file = `/proc/${pid}/net/${family}`;
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== '0A') continue;
      const inode = fields[9]!;
      if (!inodes.has(inode)) continue;
      const [hexAddress = '', hexPort = '0'] = fields[1]!.split(':');
      sockets.push({ inode, address: decodeAddress(hexAddress), port: parseInt(hexPort, 16), family });
    }
  }
  return sockets;
}

function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    // Little-endian IPv4.
    return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
  }
  return hex;
}

/** Polls until `probe` returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Reads a JSON file if it exists and parses, else undefined (for polling a pid file). */
export function readJsonIfPresent<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
