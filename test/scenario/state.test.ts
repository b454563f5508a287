// The state: and services: fields (issue 17): bad input is a clear exit-2 error naming the field and the fix.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RetryproofError } from '../../src/errors.js';
import { parseScenario } from '../../src/scenario/load.js';
import { runScenario } from '../../src/runner/run-scenario.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-state-scenario-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scenario(extra: Record<string, unknown>, target: Record<string, unknown> = { kind: 'command', argv: ['node', 'tool.mjs'] }): string {
  return JSON.stringify({
    target,
    upstreams: { payments: { model: 'resource', path: '/charges' } },
    operations: [{ name: 'create-order', args: ['{{key}}'] }],
    ...extra,
  });
}

function errorOf(text: string): RetryproofError {
  try {
    parseScenario(text, path.join(dir, 'scenario.json'));
  } catch (error) {
    expect(error).toBeInstanceOf(RetryproofError);
    return error as RetryproofError;
  }
  throw new Error('the scenario loaded');
}

describe('state probes in a scenario', () => {
  it('accepts sqlite, files and postgres probes with their defaults', () => {
    const loaded = parseScenario(
      scenario({
        services: { db: { kind: 'postgres' } },
        state: [
          { kind: 'sqlite', name: 'orders', file: '{{case.dir}}/shop.db', query: 'SELECT amount FROM orders' },
          { kind: 'files', name: 'receipts', dir: '{{case.dir}}/out' },
          { kind: 'postgres', name: 'jobs', url: '{{services.db.url}}', query: 'SELECT kind FROM jobs' },
        ],
      }),
      path.join(dir, 'ok.json'),
    );
    expect(loaded.state.map((probe) => probe.kind)).toEqual(['sqlite', 'files', 'postgres']);
    expect(loaded.state[1]).toMatchObject({ glob: '**/*', ignoreFields: [] });
  });

  it.each([
    ['two probes of one name', { state: [{ kind: 'files', name: 'a', dir: 'x' }, { kind: 'files', name: 'a', dir: 'y' }] }, 'state[1].name', /two state probes are named "a"/],
    ['an unknown template', { state: [{ kind: 'sqlite', name: 'a', file: '{{key}}/x.db', query: 'SELECT 1' }] }, 'state[0].file', /\{\{key\}\} has no value when the state is read/],
    ['an undeclared service', { state: [{ kind: 'postgres', name: 'a', url: '{{services.db.url}}', query: 'SELECT 1' }] }, 'state[0].url', /\{\{services\.db\.url\}\}/],
    ['an http probe on a command', { state: [{ kind: 'http', name: 'a', path: '/orders' }] }, 'state[0].kind', /http state probe reads the API under test/],
    ['an init file that is not there', { services: { db: { kind: 'postgres', init: 'nope.sql' } } }, 'services.db.init', /does not exist/],
  ])('refuses %s, naming the field and a fix', (_what, extra, field, message) => {
    const error = errorOf(scenario(extra));
    expect(error.where.field).toBe(field);
    expect(error.message).toMatch(message);
    expect(error.fix).toBeTruthy();
  });

  it('refuses an upstream named like a state source', () => {
    const text = JSON.stringify({
      target: { kind: 'command', argv: ['node', 'tool.mjs'] },
      upstreams: { db: { model: 'resource', path: '/charges' } },
      operations: [{ name: 'create-order', args: ['{{key}}'] }],
      state: [{ kind: 'sqlite', name: 'orders', file: 'x.db', query: 'SELECT 1' }],
    });
    expect(errorOf(text).where.field).toBe('upstreams.db');
  });

  it('a probe whose query cannot run on the target\'s file stops the run with exit-2 input, naming state[0].query', async () => {
    const work = mkdtempSync(path.join(dir, 'bad-query-'));
    // A target that creates its table with other columns than the probe names.
    writeFileSync(path.join(work, 'tool.py'), [
      'import os, sqlite3, sys, json',
      'db = sqlite3.connect(os.environ["DB"], isolation_level=None)',
      'db.execute("CREATE TABLE IF NOT EXISTS orders (amount INTEGER)")',
      'db.execute("INSERT INTO orders VALUES (1)")',
      'print(json.dumps({"effect": "created"}))',
    ].join('\n'));
    const file = path.join(work, 'bad.json');
    writeFileSync(file, JSON.stringify({
      target: { kind: 'command', argv: ['python3', 'tool.py'], env: { DB: '{{case.dir}}/shop.db' } },
      upstreams: { payments: { model: 'resource', path: '/charges' } },
      operations: [{ name: 'create-order', args: ['{{key}}'] }],
      state: [{ kind: 'sqlite', name: 'orders', file: '{{case.dir}}/shop.db', query: 'SELECT customer FROM orders' }],
      faults: ['none'],
    }));
    const { loadScenario } = await import('../../src/scenario/load.js');
    const error = await runScenario(loadScenario(file), { reportsDir: path.join(work, 'reports') }).then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryproofError);
    expect((error as RetryproofError).where).toEqual({ file, field: 'state[0].query' });
    expect((error as RetryproofError).message).toMatch(/state probe "orders" \(sqlite\) could not be read: no such column: customer/);
  }, 30_000);
});
