import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A custom upstream kept outside any project (no node_modules above it) that
 * imports msw's API and the ledger API from 'retryproof': the harness resolves
 * both to its own copies (issue 14, item 5). Run through the built CLI, as a
 * user of `npx retryproof` would.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(ROOT, 'dist/cli/main.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-fallback-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): void {
  writeFileSync(path.join(dir, name), text);
}

describe('a custom upstream module that imports retryproof and msw without installing them', () => {
  it('loads, records its commits, and the run judges them', () => {
    expect(existsSync(CLI), 'npm run build first').toBe(true);
    expect(existsSync(path.join(dir, 'node_modules'))).toBe(false);
    write(
      'billing.mjs',
      `import { http, HttpResponse, recordEffect } from 'retryproof';
import { delay } from 'msw';
export default () => [
  http.post('https://billing.example/charges', async ({ request }) => {
    await delay(1);
    const body = await request.json();
    recordEffect({ resourceId: 'ch_' + body.amount, body });
    return HttpResponse.json({ id: 'ch_' + body.amount }, { status: 201 });
  }),
];
`,
    );
    write(
      'tool.mjs',
      `const r = await fetch(process.env.BILLING_URL + '/charges', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"amount":7}' });
console.log(JSON.stringify({ effect: r.ok ? 'created' : 'unknown' }));
process.exit(r.ok ? 0 : 1);
`,
    );
    write(
      'scenario.yaml',
      `name: fallback
target: { kind: command, argv: [${JSON.stringify(process.execPath)}, tool.mjs], env: { BILLING_URL: "{{upstreams.billing.url}}" }, timeoutMs: 10000 }
upstreams: { billing: { model: custom, module: ./billing.mjs, baseUrl: "https://billing.example", noun: charge } }
operations: [{ name: charge }]
faults: [none, 503-after-commit]
caller: { retries: 1, replay: false }
probes: { mismatch: false, concurrent: false, dryRun: false, missingKey: false, persistent: false }
checks: [no-duplicate-effects]
`,
    );
    const run = spawnSync(process.execPath, [CLI, 'run', 'scenario.yaml', '-q', '--concurrency', '1'], { cwd: dir, encoding: 'utf8', timeout: 90_000 });
    expect(run.stderr).not.toContain('Cannot find package');
    // The blind retry after a 503 that came after the commit charges twice: the commits were recorded.
    expect(run.stdout).toContain('2 charges committed on billing POST /charges (clean run: 1)');
    expect(run.status, run.stdout + run.stderr).toBe(1);
  }, 120_000);
});
