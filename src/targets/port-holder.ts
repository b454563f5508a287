import { liveProcesses, socketHolders, socketsOnPort, type ProcessInfo } from './linux-proc.js';

// The harness picks a free port, closes it and hands it to the API, which
// binds it a moment later (a Python API under load: a second or more). In
// that moment another program can take the same port; the readiness probe
// then reaches *that* program, and every request of the case with it: an
// answer with no effect behind it, or a foreign API's effect. So before the
// harness believes the port is the API's, it asks who holds it (on Linux).

/** The API the harness started: its process (also its process group's id) and when it started. */
export interface ApiProcess {
  pid: number;
  /** Start time in clock ticks since boot (processInfo), if it could be read. */
  startTicks: number | undefined;
}

export type PortHolder =
  /** A process of the API's group, or one the API started (also in a group of its own). */
  | { kind: 'api' }
  /** Another process; `before`: it was running before the API was started, so the API cannot have started it. */
  | { kind: 'other'; holder: ProcessInfo; before: boolean }
  /** Not Linux, nobody listening, or a holder this user may not look at. */
  | { kind: 'unknown' };

/** Who listens on `port`. */
export function portHolder(port: number, api: ApiProcess): PortHolder {
  const sockets = socketsOnPort(port);
  if (!sockets || sockets.listening.length === 0) return { kind: 'unknown' };
  const processes = liveProcesses();
  const byPid = new Map(processes.map((info) => [info.pid, info]));
  const group = processes.filter((info) => info.pgid === api.pid);
  if (socketHolders(sockets.listening, group).length > 0) return { kind: 'api' };
  const holders = socketHolders(
    sockets.listening,
    processes.filter((info) => info.pgid !== api.pid),
  );
  const holder = holders[0];
  if (!holder) return { kind: 'unknown' };
  if (holders.some((info) => descendsFrom(info, api.pid, byPid))) return { kind: 'api' };
  const before = api.startTicks !== undefined && holder.startTicks < api.startTicks;
  return { kind: 'other', holder, before };
}

/**
 * Whether someone other than the API holds `port` now: a listener outside the
 * API's processes, or a live connection using it as its local port (an
 * outgoing connection's ephemeral port). Called after the API exited early,
 * to tell "the port was taken" from "the API failed to start".
 */
export function portTakenFrom(port: number, api: ApiProcess): boolean {
  const sockets = socketsOnPort(port);
  if (!sockets) return false;
  if (sockets.listening.length > 0) return portHolder(port, api).kind === 'other';
  return sockets.connected;
}

/** Whether `ancestor` is among the parents of `info` (a server the API started in a new session). */
function descendsFrom(info: ProcessInfo, ancestor: number, byPid: ReadonlyMap<number, ProcessInfo>): boolean {
  let current: ProcessInfo | undefined = info;
  for (let depth = 0; current && depth < 64; depth += 1) {
    if (current.ppid === ancestor) return true;
    current = byPid.get(current.ppid);
  }
  return false;
}

/** "pid 123 (python3)" */
export function describeHolder(holder: ProcessInfo): string {
  return `pid ${holder.pid} (${holder.command})`;
}
