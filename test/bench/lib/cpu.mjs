// CPU time a process has used (user + system), from /proc: the robust measure
// of a server's cost per request on a shared machine, where requests/s also
// depend on how much CPU the load generator and other users got.
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

/** Milliseconds of CPU used so far by `pid`, or NaN where /proc is unavailable. */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state(0) ppid(1) ... utime(11) stime(12)
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** CPU milliseconds used by this process and by its children that have exited (user + system). */
export function selfAndChildrenCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime(11) stime(12) cutime(13) cstime(14)
    return ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}
