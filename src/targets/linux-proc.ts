import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

// Linux's process and socket tables, read from /proc. Every reader returns
// undefined (or nothing) where /proc is not there or not readable: callers
// fall back to what they did without it.


export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** R, S, Z, ...: zombies (Z) and dead (X) processes hold nothing. */
  state: string;
  /** When it started, in clock ticks since boot: comparable between processes. */
  startTicks: number;
  /** Its command name (comm, at most 15 characters). */
  command: string;
}

/** One process's row of the table, or undefined if it is gone (or not Linux). */
export function processInfo(pid: number): ProcessInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself contain spaces or parentheses.
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return {
    pid,
    command: stat.slice(open + 1, close),
    state: fields[0] ?? '?',
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    startTicks: Number(fields[19]),
  };
}

/** Every process in the table that is neither a zombie nor dead. */
export function liveProcesses(): ProcessInfo[] {
  const rows: ProcessInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = processInfo(Number(name));
    if (info && info.state !== 'Z' && info.state !== 'X') rows.push(info);
  }
  return rows;
}

export interface PortSockets {
  /** Inodes of the sockets listening on the port, on any local address. */
  listening: string[];
  /** Whether a connected or connecting socket has the port as its local port (one closing, in TIME_WAIT, does not count). */
  connected: boolean;
}

const TCP_LISTEN = '0A';
/** ESTABLISHED and SYN_SENT: a live connection that holds its local port. */
const TCP_CONNECTED = new Set(['01', '02']);

/** The TCP sockets (IPv4 and IPv6) whose local port is `port`, or undefined without /proc/net/tcp. */
export function socketsOnPort(port: number): PortSockets | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const result: PortSockets = { listening: [], connected: false };
  let read = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    read = true;
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      const local = columns[1];
      if (!local || local.slice(local.lastIndexOf(':') + 1) !== hex) continue;
      if (columns[3] === TCP_LISTEN && columns[9]) result.listening.push(columns[9]);
      if (TCP_CONNECTED.has(columns[3] ?? '')) result.connected = true;
    }
  }
  return read ? result : undefined;
}

/**
 * The processes, among `candidates`, that hold one of these socket inodes
 * open. Processes whose descriptors this user cannot read are left out.
 */
export function socketHolders(inodes: readonly string[], candidates: readonly ProcessInfo[]): ProcessInfo[] {
  const wanted = new Set(inodes.map((inode) => `socket:[${inode}]`));
  const holders: ProcessInfo[] = [];
  for (const candidate of candidates) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${candidate.pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${candidate.pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (wanted.has(link)) {
        holders.push(candidate);
        break;
      }
    }
  }
  return holders;
}
