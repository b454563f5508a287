/**
 * The `routes:` form of an upstream (several routes on one upstream): what it
 * loads to, and the errors for paths that overlap, a route without a path,
 * and an upstream with neither a model nor routes. Each error names the file,
 * the field and the fix, and the CLI exits 2.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { RetryproofError } from '../../src/errors.js';
import { loadScenario } from '../../src/scenario/load.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-routes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(ROOT, 'dist/cli/main.js');

function newestMtime(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** The CLI as a user runs it, `node dist/cli/main.js` (built first when src/ is newer, as test/cli does). */
function cli(args: string[]): { status: number | null; stderr: string } {
  if (!existsSync(CLI) || statSync(CLI).mtimeMs < newestMtime(path.join(ROOT, 'src'))) {
    spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: ROOT });
  }
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of Object.keys(env)) if (name.startsWith('VITEST') || name === 'NODE_OPTIONS') delete env[name];
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stderr: result.stderr };
}

let files = 0;
function write(routes: unknown, upstream: Record<string, unknown> = { routes }): string {
  const file = path.join(dir, `scenario-${(files += 1)}.yaml`);
  const scenario = {
    target: { kind: 'command', argv: ['node', 'tool.mjs'], env: { API_URL: '{{upstreams.api.url}}' } },
    upstreams: { api: upstream },
    operations: [{ name: 'charge', args: ['charge', '--key', '{{key}}'] }],
  };
  writeFileSync(file, YAML.stringify(scenario));
  return file;
}

function loadError(file: string): RetryproofError {
  try {
    loadScenario(file);
  } catch (error) {
    expect(error).toBeInstanceOf(RetryproofError);
    return error as RetryproofError;
  }
  throw new Error(`${file} loaded, but should not have`);
}

describe('routes: several routes on one upstream', () => {
  it('loads each route with its model defaults; `model: routes` may be left out', () => {
    const scenario = loadScenario(
      write([
        { model: 'resource', path: '/charges', noun: 'charge', honoursIdempotencyKey: true },
        { model: 'resource', path: '/audit', noun: 'audit record' },
        { model: 'mailer', path: '/emails' },
      ]),
    );
    expect(scenario.upstreams.api).toEqual({
      model: 'routes',
      routes: [
        { model: 'resource', path: '/charges', noun: 'charge', honoursIdempotencyKey: true, clientRefField: 'ref', ignoreFields: [], style: 'plain' },
        { model: 'resource', path: '/audit', noun: 'audit record', honoursIdempotencyKey: false, clientRefField: 'ref', ignoreFields: [], style: 'plain' },
        { model: 'mailer', path: '/emails', noun: 'email', ignoreFields: [] },
      ],
    });
  });

  it('two routes with overlapping paths: the later one is named, with the one it overlaps and the fix', () => {
    const file = write([
      { model: 'resource', path: '/charges' },
      { model: 'resource', path: '/charges/refunds' },
    ]);
    const error = loadError(file);
    expect(error.code).toBe('SCENARIO_INVALID');
    expect(error.where).toEqual({ file, field: 'upstreams.api.routes[1].path' });
    expect(error.message).toBe('/charges/refunds overlaps /charges of routes[0]: a request could be served by both');
    expect(error.fix).toMatch(/give each route of upstream api its own path, no path inside another/);
    expect(error.describe()).toContain(`${file}: upstreams.api.routes[1].path: /charges/refunds overlaps`);
  });

  it('the same path twice (in another case), after a route that does not overlap', () => {
    const file = write([
      { model: 'resource', path: '/charges' },
      { model: 'mailer', path: '/emails' },
      { model: 'counter', path: '/Charges' },
    ]);
    const error = loadError(file);
    expect(error.where.field).toBe('upstreams.api.routes[2].path');
    expect(error.message).toBe('/Charges is the path of routes[0] already');
  });

  it('a route without a path', () => {
    const error = loadError(write([{ model: 'resource', path: '/charges' }, { model: 'mailer' }]));
    expect(error.where.field).toBe('upstreams.api.routes[1].path');
    expect(error.message).toMatch(/missing; expected string/);
  });

  it('a custom model is no route (its handlers serve any routes already)', () => {
    const error = loadError(write([{ model: 'custom', module: './billing.mjs' }]));
    expect(error.where.field).toBe('upstreams.api.routes[0].model');
  });

  it('an upstream with neither model nor routes: the model is what is missing', () => {
    const error = loadError(write(undefined, { path: '/charges' }));
    expect(error.where.field).toBe('upstreams.api.model');
    expect(error.message).toMatch(/^missing model; expected one of: resource, mailer, counter, deployer, custom, openapi, har \(or routes: \[\.\.\.\]/);
  });

  it('the CLI prints the file, the field and the fix, and exits 2', () => {
    const file = write([
      { model: 'resource', path: '/charges' },
      { model: 'resource', path: '/charges' },
    ]);
    const { status, stderr: printed } = cli(['run', file, '--reports', path.join(dir, 'reports')]);
    expect(status).toBe(2);
    expect(printed).toContain(`${file}: upstreams.api.routes[1].path: /charges is the path of routes[0] already`);
    expect(printed).toContain('fix: give each route of upstream api its own path');
    expect(existsSync(path.join(dir, 'reports')), 'no run folder for a scenario that does not load').toBe(false);
  }, 120_000);
});
