import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The package as a user gets it (issue 14, items 9 and 10): `npm pack`, the
 * tarball installed into an empty project, then `npx retryproof init -- …`
 * and `npx retryproof run` on the starter it wrote. The install comes from the
 * npm registry (CI has it); better-sqlite3's native addon is copied from this
 * checkout instead of compiled again (building it is npm's job, not ours).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-pack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });

describe('npm pack, installed in an empty project', () => {
  it('builds dist/ when packed, and its retryproof runs init and then the starter scenario', () => {
    // `npm pack` runs prepack, which builds dist/ from a clean checkout; here dist/ is built already (npm test builds first).
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(manifest.scripts.prepack).toBe('npm run build');
    npm(['pack', '--ignore-scripts', '--pack-destination', dir], ROOT);
    const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const listing = execFileSync('tar', ['tzf', path.join(dir, tarball!)], { encoding: 'utf8' }).split('\n');
    expect(listing).toContain('package/dist/cli/main.js');
    expect(listing).toContain('package/dist/index.js');
    expect(listing.some((name) => name.startsWith('package/src/'))).toBe(false);

    const project = path.join(dir, 'project');
    cpSync(path.join(ROOT, 'test/fixtures/init'), project, { recursive: true });
    writeFileSync(path.join(project, 'package.json'), '{"name":"empty-project","private":true}\n');
    npm(['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', path.join(dir, tarball!)], project);
    cpSync(path.join(ROOT, 'node_modules/better-sqlite3'), path.join(project, 'node_modules/better-sqlite3'), { recursive: true });
    expect(existsSync(path.join(project, 'node_modules/.bin/retryproof'))).toBe(true);

    const env = { ...process.env, NO_COLOR: '1' };
    for (const name of Object.keys(env)) if (name.startsWith('VITEST') || name === 'NODE_OPTIONS') delete env[name];
    const init = spawnSync('npx', ['--no-install', 'retryproof', 'init', '--', 'node', 'charge.mjs', 'charge', '--amount', '5'], { cwd: project, env, encoding: 'utf8', timeout: 60_000 });
    expect(init.status, init.stdout + init.stderr).toBe(0);
    expect(init.stdout).toContain('wrote retryproof.yaml');
    const run = spawnSync('npx', ['--no-install', 'retryproof', 'run', 'retryproof.yaml', '-q', '--concurrency', '1'], { cwd: project, env, encoding: 'utf8', timeout: 150_000 });
    // The starter runs as written: the fixture tool sends no key, so a blind retry after a lost answer charges twice.
    expect(run.stdout, run.stderr).toContain('safe to retry: NO');
    expect(run.stdout).toContain('no-duplicate-effects');
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(readdirSync(path.join(project, 'reports'))).toEqual(['charge-charge']);
  }, 300_000);
});
