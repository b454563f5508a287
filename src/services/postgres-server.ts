import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { HARNESS_MARKER, signalGroup, trackGroup, untrackGroup, waitForGroupGone } from '../targets/process-group.js';
import type { PostgresBinaries } from './postgres-binaries.js';

/** How long initdb and the server's start may take on a loaded machine. */
const START_TIMEOUT_MS = 60_000;

/**
 * A throwaway PostgreSQL server for one run: a fresh cluster in a temporary
 * folder, listening on 127.0.0.1 only (no Unix socket), with durability off
 * (fsync, synchronous_commit: nothing of it outlives the run). Its process
 * group is tracked like a target's, so an interrupt or the harness's death
 * (the reaper) kills it too. PostgreSQL refuses to run as root: as root, the
 * cluster belongs to the "postgres" user if there is one, else to "nobody".
 */
export class PostgresServer {
  private constructor(
    readonly port: number,
    private readonly dataRoot: string,
    private readonly child: ChildProcess,
  ) {}

  /** postgres://postgres@127.0.0.1:PORT/DATABASE */
  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${encodeURIComponent(database)}`;
  }

  /** A client of the server's admin database (the caller ends it). */
  async admin(database = 'postgres'): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url(database) });
    client.on('error', () => undefined); // a dropped connection is seen by the query that uses it
    await client.connect();
    return client;
  }

  static async start(binaries: PostgresBinaries): Promise<PostgresServer> {
    const dataRoot = mkdtempSync(path.join(os.tmpdir(), 'retryproof-pg-'));
    const data = path.join(dataRoot, 'data');
    const owner = unprivilegedOwner();
    try {
      if (owner) chownSync(dataRoot, owner.uid, owner.gid);
      await run(binaries.initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '-N'], owner);
      const port = await freePort();
      const child = spawn(
        binaries.postgres,
        ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
        { ...owner, detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...cleanEnv(), [HARNESS_MARKER.split('=')[0]!]: HARNESS_MARKER.split('=')[1]!, LC_MESSAGES: 'C' } },
      );
      if (child.pid) trackGroup(child.pid);
      const server = new PostgresServer(port, dataRoot, child);
      await server.ready(child);
      return server;
    } catch (error) {
      rmSync(dataRoot, { recursive: true, force: true });
      throw error;
    }
  }

  /** Stops the server (a fast shutdown, then SIGKILL) and removes its folder. */
  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (pid) {
      signalGroup(pid, 'SIGINT');
      if (!(await waitForGroupGone(pid, 5_000))) signalGroup(pid, 'SIGKILL');
      await waitForGroupGone(pid, 2_000);
      untrackGroup(pid);
    }
    rmSync(this.dataRoot, { recursive: true, force: true });
  }

  private ready(child: ChildProcess): Promise<void> {
    return new Promise((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => fail(new Error(`PostgreSQL did not start in ${START_TIMEOUT_MS} ms: ${log.slice(-500)}`)), START_TIMEOUT_MS);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        void this.stop().finally(() => reject(error));
      };
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        if (log.length < 20_000) log += chunk;
        if (log.includes('ready to accept connections')) {
          clearTimeout(timer);
          child.stderr?.removeAllListeners('data');
          child.stderr?.resume(); // keep draining its log
          resolve();
        }
      });
      child.once('exit', (code) => fail(new Error(`PostgreSQL exited (${code}) before it was ready: ${log.slice(-500)}`)));
      child.once('error', fail);
    });
  }
}

/** The user the cluster runs as when the harness is root (uid and gid), else undefined (the harness's own). */
function unprivilegedOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
      if (uid > 0) return { uid, gid };
    } catch {
      // no such user
    }
  }
  throw new Error('PostgreSQL cannot run as root and there is no "postgres" or "nobody" user to run it as');
}

function run(file: string, args: string[], owner: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...owner, stdio: ['ignore', 'ignore', 'pipe'], env: { ...cleanEnv(), LC_MESSAGES: 'C' } });
    let err = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (err += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(file)} failed (${code}): ${err.slice(-500)}`))));
  });
}

/** The environment without PG* variables, which would point initdb or the server elsewhere. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PG')));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
