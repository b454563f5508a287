// The database's after-commit fault (issue 17): a COMMIT reaches PostgreSQL and is performed, then the connection drops (or is held) before the client sees CommandComplete.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPostgresBinaries } from '../../src/services/postgres-binaries.js';
import { PgCommitProxy, type CommitFault } from '../../src/services/pg-commit-proxy.js';
import { PostgresServer } from '../../src/services/postgres-server.js';

let server: PostgresServer;
// One server for the file: each test its own table.
beforeAll(async () => {
  server = await PostgresServer.start(findPostgresBinaries()!);
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

async function client(port: number): Promise<pg.Client> {
  const connection = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  connection.on('error', () => undefined);
  await connection.connect();
  return connection;
}

async function count(table: string): Promise<number> {
  const direct = await client(server.port);
  try {
    return Number((await direct.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  } finally {
    await direct.end();
  }
}

async function insertInTransaction(port: number, table: string): Promise<string> {
  const connection = await client(port);
  try {
    await connection.query('BEGIN');
    await connection.query(`INSERT INTO ${table} VALUES (1)`);
    await connection.query('COMMIT');
    await connection.end();
    return 'committed';
  } catch (error) {
    connection.end().catch(() => undefined);
    return `error: ${(error as Error).message}`;
  }
}

describe('PgCommitProxy', () => {
  it('drops the connection after the server committed: the client sees an error, the row is there', async () => {
    const setup = await client(server.port);
    await setup.query('CREATE TABLE dropped (x INTEGER)');
    await setup.end();
    const faults: CommitFault[] = ['drop'];
    const proxy = await PgCommitProxy.start(server.port, { faultFor: (n) => faults[n - 1] ?? 'none' });
    try {
      const seen = await insertInTransaction(proxy.port, 'dropped');
      expect(seen).toMatch(/^error: /);
      expect(await count('dropped')).toBe(1);
      // A client that retries its transaction on that error inserts the row again: the class of bug this fault finds.
      expect(await insertInTransaction(proxy.port, 'dropped')).toBe('committed');
      expect(await count('dropped')).toBe(2);
      expect(proxy.events).toEqual([
        { ordinal: 1, fault: 'drop', delivery: 'reset' },
        { ordinal: 2, fault: 'none', delivery: 'response' },
      ]);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('passes every query through untouched when no fault is planned, and counts only performed COMMITs', async () => {
    const proxy = await PgCommitProxy.start(server.port);
    try {
      const connection = await client(proxy.port);
      await connection.query('CREATE TABLE passed (x INTEGER)');
      await connection.query('BEGIN');
      await connection.query('INSERT INTO passed VALUES (1)');
      await connection.query('ROLLBACK');
      await connection.query('BEGIN');
      await connection.query('SELECT nope').catch(() => undefined);
      // An aborted transaction's COMMIT is answered ROLLBACK: no commit.
      await connection.query('COMMIT');
      await connection.query('BEGIN');
      await connection.query('INSERT INTO passed VALUES (2)');
      await connection.query('COMMIT');
      expect((await connection.query('SELECT x FROM passed')).rows).toEqual([{ x: 2 }]);
      await connection.end();
      expect(proxy.events).toEqual([{ ordinal: 1, fault: 'none', delivery: 'response' }]);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('holds the answer of a performed COMMIT until the client gives up', async () => {
    const setup = await client(server.port);
    await setup.query('CREATE TABLE held (x INTEGER)');
    await setup.end();
    const proxy = await PgCommitProxy.start(server.port, { faultFor: () => 'hold' });
    try {
      const connection = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'postgres', database: 'postgres', query_timeout: 300 });
      connection.on('error', () => undefined);
      await connection.connect();
      await connection.query('BEGIN');
      await connection.query('INSERT INTO held VALUES (1)');
      await expect(connection.query('COMMIT')).rejects.toThrow(/timeout/i);
      await connection.end().catch(() => undefined);
      expect(await count('held')).toBe(1);
      expect(proxy.events).toEqual([{ ordinal: 1, fault: 'hold', delivery: 'held' }]);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
