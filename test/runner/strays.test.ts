/**
 * Late requests (src/runner/settle.ts, src/runner/strays.ts), end to end with
 * an HTTP API that outlives its cases (`restart: never`) and charges payments
 * again some time after it answered: within the settle window the late charge
 * is the case's own and judged; after it, it is a stray: recorded in the
 * ledger and noted on the case it came after, counted in no case, and the
 * next case's request #1 (and the fault bound to it) is its own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import type { Schedule } from '../../src/core/schedule.js';
import { openRunSession } from '../../src/runner/run-session.js';
import { loadScenario } from '../../src/scenario/load.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-strays-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// POST /orders charges payments and answers; the LATE_ON-th order (counted over the process's life) charges again LATE_MS after its answer.
writeFileSync(
  path.join(dir, 'late-api.mjs'),
  `import http from 'node:http';
let orders = 0;
const charge = () => fetch(process.env.PAYMENTS_URL + '/charges', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: 100 }) }).then((r) => r.status, () => null);
http.createServer(async (req, res) => {
  if (req.method === 'GET') return res.end('ok');
  for await (const _ of req);
  orders += 1;
  const status = await charge();
  res.writeHead(status === 201 ? 201 : 502, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ effect: status === 201 ? 'created' : 'none' }));
  if (orders === Number(process.env.LATE_ON)) setTimeout(charge, Number(process.env.LATE_MS));
}).listen(Number(process.env.PORT), '127.0.0.1');
`,
);

function scenario(name: string, lateMs: number, settle?: { quietMs: number }) {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    YAML.stringify({
      name,
      target: {
        kind: 'http',
        start: { argv: ['node', 'late-api.mjs'], env: { PAYMENTS_URL: '{{upstreams.payments.url}}', LATE_ON: '2', LATE_MS: String(lateMs) }, restart: 'never' },
        timeoutMs: 3000,
      },
      upstreams: { payments: { model: 'resource', path: '/charges', noun: 'charge' } },
      operations: [{ name: 'create-order', request: { method: 'POST', path: '/orders', body: { amount: 100 } } }],
      ...(settle ? { settle } : {}),
      exitCodes: { success: [0], failure: [1] },
    }),
  );
  return loadScenario(file);
}

const plain = (faults: Schedule['faults'] = []): Schedule => ({ operation: 'create-order', faults, caller: { retries: 0, key: 'same', replay: false, delayMs: 0 } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a charge 50 ms after the answer, with the default settle window (100 ms for http)', () => {
  it('is the case\'s own: recorded under the invocation that answered, and judged a duplicate', { timeout: 30_000 }, async () => {
    const session = await openRunSession(scenario('late-in-window', 50), { reportsDir: path.join(dir, 'reports') });
    try {
      // Order 1 was the clean run; order 2, this case, charges again 50 ms after its answer.
      const result = await session.runOne({ id: 'late', schedule: plain() }, 'explore');
      const rows = session.ledger.readCase('late');
      expect(rows.requests.map((request) => [request.id, request.invocationId, request.committed])).toEqual([[1, 1, true], [2, 1, true]]);
      expect(rows.effects).toHaveLength(2);
      expect(result.checks.find((check) => check.check === 'no-duplicate-effects')).toMatchObject({ status: 'fail' });
      expect(result.notes.join('\n')).toMatch(/late request: 1 request came after the target's last answer.*POST \/charges to payments \d+ ms after it \(committed\), counted as invocation 1's/);
    } finally {
      await session.finish();
    }
  });
});

describe('a charge 250 ms after the answer, past a 30 ms settle window, with one API process for every case', () => {
  it('is a stray: in the ledger and noted on the case it came after, counted in no case; the next case\'s request #1 and its fault are its own', { timeout: 30_000 }, async () => {
    const session = await openRunSession(scenario('late-stray', 250, { quietMs: 30 }), { reportsDir: path.join(dir, 'reports') });
    try {
      const before = await session.runOne({ id: 'before', schedule: plain() }, 'explore');
      // Between the cases: the late charge comes while no case is running.
      await sleep(600);
      const next = await session.runOne({ id: 'next', schedule: plain([{ upstream: 'payments', ordinal: 1, fault: '503-before-commit' }]) }, 'explore');

      expect(session.ledger.readCase('before').requests).toHaveLength(1);
      expect(before.verdict).toBe('pass');
      const strays = session.ledger.readCase('before/strays');
      expect(strays.requests.map((request) => [request.upstream, request.route, request.fault, request.invocationId, request.committed])).toEqual([
        ['payments', 'POST /charges', 'none', null, true],
      ]);
      expect(strays.effects).toHaveLength(1);
      expect(before.notes.join('\n')).toMatch(/stray request: 1 request reached the upstreams after this case ended.*POST \/charges to payments \(committed\).*counted in no case, recorded in the ledger as case "before\/strays"/);

      // The late charge did not become this case's request #1, nor use up its fault: its own request got the 503.
      const rows = session.ledger.readCase('next');
      expect(rows.requests.map((request) => [request.ordinal, request.invocationId, request.fault, request.clientStatus])).toEqual([[1, 1, '503-before-commit', 503]]);
      expect(rows.effects).toEqual([]);
      expect(next.faults[0]!.requestId).toBe(1);
      expect(next.notes.filter((note) => note.startsWith('stray'))).toEqual([]);
    } finally {
      await session.finish();
    }
  });
});
