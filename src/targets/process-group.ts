import { readdirSync, readFileSync } from 'node:fs';
import { reaperNotify } from './reaper.js';

/**
 * Every target process is started in its own process group (detached), so the
 * harness can kill it together with any children it forked. Live groups are
 * tracked here so that nothing survives the harness, even on an early exit.
 */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/**
 * Every target inherits this variable: a target that leaves its process group
 * (setsid) can still be found, and killed, by it.
 */
export const HARNESS_MARKER = `RETRYPROOF_HARNESS=${process.pid}-${Date.now().toString(36)}`;

export function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  reaperNotify(`+${pgid}`, HARNESS_MARKER);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', killAllGroups);
  }
}

export function untrackGroup(pgid: number): void {
  liveGroups.delete(pgid);
  reaperNotify(`-${pgid}`, HARNESS_MARKER);
}

/** Sends a signal to a whole process group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** SIGKILLs every group still tracked. Safe to call from an exit handler. */
export function killAllGroups(): void {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  liveGroups.clear();
}

export function liveGroupCount(): number {
  return liveGroups.size;
}

/**
 * Resolves once no live (non-zombie) process of the group is left, or after
 * `capMs`. A SIGKILLed process leaves the process table a moment later, and a
 * zombie reparented to an init that never reaps it is dead all the same, so
 * on Linux the group is read from /proc rather than probed with kill(0).
 */
export async function waitForGroupGone(pgid: number, capMs = 1_000): Promise<boolean> {
  const deadline = performance.now() + capMs;
  while (groupAlive(pgid)) {
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

function groupAlive(pgid: number): boolean {
  // The cheap probe first: no member at all (not even a zombie) is the common case.
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone while we looked
    }
    // Fields after the parenthesised command name: state, ppid, pgrp, ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/**
 * SIGKILLs processes that carry this harness's marker but belong to no group
 * it is tracking: targets' children that left their group (setsid, a daemon).
 * Called when a run ends, so nothing it started outlives it.
 */
export function killEscapedProcesses(): number {
  if (process.platform !== 'linux') return 0;
  let killed = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(HARNESS_MARKER)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (liveGroups.has(pgrp)) continue;
      process.kill(Number(entry), 'SIGKILL');
      killed += 1;
    } catch {
      // Gone, or not ours to read.
    }
  }
  return killed;
}
