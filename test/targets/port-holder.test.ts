/**
 * Who holds a port, read from Linux's socket and process tables: the API's own
 * group, a server the API started in a session of its own, a program that was
 * running before the API, or nobody.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/targets/http-server.js';
import { processInfo } from '../../src/targets/linux-proc.js';
import { portHolder, portTakenFrom } from '../../src/targets/port-holder.js';
import { waitFor } from './proc-table.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.pid) try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
});

/** A node process in its own group running `code`; resolves once something listens on `port` (if given). */
async function api(code: string, port?: number): Promise<{ pid: number; startTicks: number | undefined }> {
  const child = spawn(process.execPath, ['-e', code], { detached: true, stdio: 'ignore', env: { ...process.env, PORT: String(port ?? 0) } });
  children.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  const pid = child.pid!;
  const startTicks = processInfo(pid)?.startTicks;
  if (port !== undefined) await waitFor(() => (portHolder(port, { pid, startTicks }).kind === 'unknown' ? undefined : true), 20_000, `a listener on port ${port}`);
  return { pid, startTicks };
}

const LISTEN = `require('node:http').createServer((q, s) => s.end()).listen(Number(process.env.PORT), '127.0.0.1')`;

describe('portHolder', () => {
  it('says the API when a process of its group listens', async () => {
    const port = await freePort();
    const started = await api(LISTEN, port);
    expect(portHolder(port, started)).toEqual({ kind: 'api' });
    expect(portTakenFrom(port, started)).toBe(false);
  });

  it('says the API for a server it started in a session of its own', async () => {
    const port = await freePort();
    const started = await api(
      `require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(LISTEN)}], { detached: true, stdio: 'ignore' }); setInterval(() => {}, 1000)`,
      port,
    );
    expect(portHolder(port, started)).toEqual({ kind: 'api' });
  });

  it('names another program, started before the API, that listens on its port', async () => {
    const server = http.createServer((_q, s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const started = await api('setInterval(() => {}, 1000)');
      const holder = portHolder(port, started);
      expect(holder).toMatchObject({ kind: 'other', before: true, holder: { pid: process.pid } });
      expect(portTakenFrom(port, started)).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('says unknown where nothing listens', async () => {
    const port = await freePort();
    expect(portHolder(port, { pid: process.pid, startTicks: undefined })).toEqual({ kind: 'unknown' });
    expect(portTakenFrom(port, { pid: process.pid, startTicks: undefined })).toBe(false);
  });
});
