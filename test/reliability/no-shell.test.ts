/**
 * DESIGN.md: a command target runs "from an argv array (never through a
 * shell)". Arguments with `;`, `$()`, backticks, quotes, globs, redirections
 * and newlines — literal in the operation's args, through {{input.*}}
 * templates, and in env values — reach the target verbatim, through a whole
 * runScenario. The target (test/fixtures/hostile/echo-argv.mjs) prints the
 * argv and env it received as JSON, which the ledger keeps; the canary files
 * the shell syntax would create do not appear.
 */
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/runner/run-scenario.js';
import { loadScenario } from '../../src/scenario/load.js';
import { HOSTILE } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-no-shell-'));
const canaries = path.join(dir, 'canaries');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const canary = (name: string): string => path.join(canaries, name);

/** Each of these would do something visible if a shell read it. */
const HOSTILE_ARGS = [
  `a; touch ${canary('semicolon')}`,
  `$(touch ${canary('dollar-paren')})`,
  `\`touch ${canary('backtick')}\``,
  `x && touch ${canary('and')} || touch ${canary('or')}`,
  `y | tee ${canary('pipe')}`,
  `z > ${canary('redirect')}`,
  `"double quoted" 'single quoted' \\"escaped\\"`,
  "it's",
  'line one\nline two\n',
  '\ttab and trailing space ',
  '*',
  '~',
  '$HOME ${PATH} $0',
  '',
  '--flag=with space',
  '-',
  'ünïcødé ☃ 🚀',
  '\\back\\slash\\',
  '#not a comment',
  `!!; exec touch ${canary('bang')}`,
];
/** Through a template: the rendered value is one argument, whatever it holds. */
const TEMPLATED = `$(touch ${canary('template')}); "it's" \n next`;
const ENV_VALUE = `$(touch ${canary('env')}) ; 'q' "qq" \`x\``;

describe('no shell between the harness and a command target', () => {
  it('hostile arguments and env values reach the target verbatim in every invocation of a whole run', { timeout: 60_000 }, async () => {
    const file = path.join(dir, 'no-shell.yaml');
    writeFileSync(
      file,
      YAML.stringify({
        name: 'no-shell',
        target: {
          kind: 'command',
          argv: [process.execPath, path.join(HOSTILE, 'echo-argv.mjs')],
          env: { PROBE: ENV_VALUE },
          timeoutMs: 10_000,
        },
        upstreams: { payments: { model: 'resource' } },
        operations: [{ name: 'echo', args: [...HOSTILE_ARGS, '{{input.evil}}', 'prefix-{{input.evil}}-suffix'], input: { evil: TEMPLATED } }],
        caller: { retries: 0, replay: true },
        faults: ['none'],
        depth: 1,
        checks: ['exit-codes'],
        probes: { mismatch: false, concurrent: false, dryRun: false, missingKey: false, persistent: false },
      }),
    );
    // The canary folder exists, so a `touch` or redirection that ran would have succeeded.
    mkdirSync(canaries, { recursive: true });

    const result = await runScenario(loadScenario(file), { reportsDir: path.join(dir, 'reports') });
    const expected = [...HOSTILE_ARGS, TEMPLATED, `prefix-${TEMPLATED}-suffix`];

    const db = new Database(path.join(result.runDir, 'ledger.sqlite'), { readonly: true, fileMustExist: true });
    let rows: Array<{ case_id: string; role: string; argv: string; stdout_json: string | null; exit_code: number | null }>;
    try {
      rows = db.prepare('SELECT case_id, role, argv, stdout_json, exit_code FROM invocations ORDER BY case_id, id').all() as typeof rows;
    } finally {
      db.close();
    }
    // The baseline, the none case's attempt and its replay.
    expect(rows.map((row) => [row.case_id, row.role])).toEqual([
      ['echo/baseline', 'baseline'],
      ['echo/none', 'attempt'],
      ['echo/none', 'replay'],
    ]);
    for (const row of rows) {
      expect(row.exit_code, `${row.case_id} ${row.role}`).toBe(0);
      const seen = JSON.parse(row.stdout_json!) as { argv: string[]; env: { PROBE: string } };
      // What the target received, element by element.
      expect(seen.argv, `${row.case_id} ${row.role}: argv as the target received it`).toEqual(expected);
      expect(seen.env.PROBE).toBe(ENV_VALUE);
      // What the ledger says the harness ran: the same argv, after the program and script.
      const ran = JSON.parse(row.argv) as string[];
      expect(ran.slice(2)).toEqual(expected);
    }
    expect(readdirSync(canaries), 'files a shell would have created').toEqual([]);
  });
});
