import { spawn } from 'node:child_process';
import { appendFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A tiny watchdog for the case the harness itself is SIGKILLed and can run no
 * cleanup. The harness appends "+PGID" / "-PGID" lines to a file as it starts
 * and ends target process groups; the watchdog checks every 250 ms whether the
 * harness is still alive, and once it is gone, however it died, SIGKILLs every
 * group still listed and every process carrying the harness's marker (targets
 * that left their group with setsid), then removes the file and exits. It is
 * started through a launcher that exits at once, so it is nobody's child.
 */
const REAPER_SOURCE = `
const fs = require('fs');
const [harness, file, marker] = process.argv.slice(1);
const alive = () => { try { process.kill(Number(harness), 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const reap = () => {
  const groups = new Set();
  try {
    for (const line of fs.readFileSync(file, 'utf8').split('\\n')) {
      if (line.startsWith('+')) groups.add(Number(line.slice(1)));
      else if (line.startsWith('-')) groups.delete(Number(line.slice(1)));
    }
  } catch {}
  for (const pgid of groups) { try { process.kill(-pgid, 'SIGKILL'); } catch {} }
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync('/proc/' + entry + '/environ', 'latin1').split('\\0').includes(marker)) process.kill(Number(entry), 'SIGKILL');
    } catch {}
  }
  try { fs.rmSync(file, { force: true }); } catch {}
  process.exit(0);
};
setInterval(() => { if (!alive()) reap(); }, 250);
`;

const LAUNCHER_SOURCE = `
require('child_process').spawn(process.execPath, ['-e', process.argv[1], ...process.argv.slice(2)], { detached: true, stdio: 'ignore' }).unref();
`;

let groupsFile: string | undefined;

/** Records a group start (+PGID) or end (-PGID), starting the watchdog the first time (Linux: it reads /proc). */
export function reaperNotify(line: string, marker: string): void {
  if (process.platform !== 'linux') return;
  if (!groupsFile) {
    groupsFile = path.join(os.tmpdir(), `retryproof-reaper-${process.pid}.groups`);
    appendFileSync(groupsFile, '');
    const launcher = spawn(process.execPath, ['-e', LAUNCHER_SOURCE, REAPER_SOURCE, String(process.pid), groupsFile, marker], {
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '' },
    });
    launcher.on('error', () => undefined);
    launcher.unref();
    const file = groupsFile;
    process.once('exit', () => rmSync(file, { force: true }));
  }
  try {
    appendFileSync(groupsFile, `${line}\n`);
  } catch {
    // The watchdog is a last resort; a run goes on without it.
  }
}
