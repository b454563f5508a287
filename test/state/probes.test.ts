// State probes (issue 17): the target's own rows, files and API lists, read as effects.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { readFiles } from '../../src/state/files-probe.js';
import { readHttp } from '../../src/state/http-probe.js';
import { readSqlite } from '../../src/state/sqlite-probe.js';
import { stateTraits } from '../../src/state/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-state-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const where = (caseDir: string) => ({ values: new Map([['case.dir', caseDir]]) });

describe('sqlite probe', () => {
  it("reads a query's rows from the target's file, templates rendered, without writing it", () => {
    const caseDir = mkdtempSync(path.join(dir, 'case-'));
    const db = new Database(path.join(caseDir, 'shop.db'));
    db.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY, amount INTEGER, note BLOB); INSERT INTO orders (amount, note) VALUES (100, x'0102'), (100, NULL)");
    db.close();
    const rows = readSqlite({ file: '{{case.dir}}/shop.db', query: 'SELECT amount, note FROM orders ORDER BY id' }, where(caseDir));
    expect(rows).toEqual([{ amount: 100, note: '0102' }, { amount: 100, note: null }]);
    expect(() => readSqlite({ file: '{{case.dir}}/shop.db', query: 'DELETE FROM orders' }, where(caseDir))).toThrow(/readonly|read-only|does not return data/i);
  });

  it('reads no rows when the target created no file or no table yet, and fails on a bad column', () => {
    const caseDir = mkdtempSync(path.join(dir, 'case-'));
    expect(readSqlite({ file: '{{case.dir}}/none.db', query: 'SELECT * FROM orders' }, where(caseDir))).toEqual([]);
    new Database(path.join(caseDir, 'empty.db')).exec('CREATE TABLE other (x)');
    expect(readSqlite({ file: '{{case.dir}}/empty.db', query: 'SELECT * FROM orders' }, where(caseDir))).toEqual([]);
    expect(() => readSqlite({ file: '{{case.dir}}/empty.db', query: 'SELECT nope FROM other' }, where(caseDir))).toThrow(/no such column/);
  });
});

describe('files probe', () => {
  it('reads the files a glob matches, JSON as data, a half-written file as text, a binary one by digest', () => {
    const caseDir = mkdtempSync(path.join(dir, 'case-'));
    mkdirSync(path.join(caseDir, 'out/receipts'), { recursive: true });
    writeFileSync(path.join(caseDir, 'out/receipts/b.json'), '{"amount": 100}');
    writeFileSync(path.join(caseDir, 'out/receipts/a.json'), '{"amount": 100, ');
    writeFileSync(path.join(caseDir, 'out/receipts/c.bin'), Buffer.from([0, 1, 2]));
    writeFileSync(path.join(caseDir, 'out/other.json'), '{}');
    expect(readFiles({ dir: '{{case.dir}}/out', glob: 'receipts/*.json' }, where(caseDir))).toEqual([
      { path: 'receipts/a.json', content: '{"amount": 100, ' },
      { path: 'receipts/b.json', content: { amount: 100 } },
    ]);
    const binary = readFiles({ dir: '{{case.dir}}/out', glob: '**/*.bin' }, where(caseDir));
    expect(binary).toEqual([{ path: 'receipts/c.bin', bytes: 3, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(readFiles({ dir: '{{case.dir}}/missing', glob: '**/*' }, where(caseDir))).toEqual([]);
  });
});

describe('http probe', () => {
  it("lists the items of the API's answer, at a dotted path or the answer itself; anything else is an error", async () => {
    const server = http.createServer((req, res) => {
      const bodies: Record<string, [number, unknown]> = {
        '/orders': [200, [{ id: 'ord_1', amount: 100 }]],
        '/wrapped': [200, { data: { items: [{ amount: 100 }, 7] } }],
        '/broken': [500, { error: 'down' }],
        '/object': [200, { amount: 100 }],
      };
      const [status, body] = bodies[req.url ?? ''] ?? [404, {}];
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await readHttp({ path: '/orders' }, { values: new Map(), baseUrl })).toEqual([{ id: 'ord_1', amount: 100 }]);
      expect(await readHttp({ path: '/wrapped', rows: 'data.items' }, { values: new Map(), baseUrl })).toEqual([{ amount: 100 }, { value: 7 }]);
      await expect(readHttp({ path: '/broken' }, { values: new Map(), baseUrl })).rejects.toThrow(/answered 500/);
      await expect(readHttp({ path: '/object' }, { values: new Map(), baseUrl })).rejects.toThrow(/gave no list/);
      await expect(readHttp({ path: '/orders' }, { values: new Map() })).rejects.toThrow(/no API is running/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('state traits', () => {
  it('judges each probe as a route of its source, with its noun and ignoreFields', () => {
    const traits = stateTraits([
      { kind: 'sqlite', name: 'orders', noun: 'order row', file: 'x.db', query: 'SELECT 1', ignoreFields: ['created_at'] },
      { kind: 'files', name: 'receipts', dir: 'out', glob: '*', ignoreFields: [] },
    ]);
    expect(traits.get('db')?.routes).toEqual([{ path: '/orders', traits: { deduplicates: true, lookup: true, noun: 'order row', ignoreFields: ['created_at'] } }]);
    expect(traits.get('files')?.routes?.[0]?.traits.noun).toBe('file');
  });
});
