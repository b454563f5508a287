#!/usr/bin/env node
/**
 * `npm run zoo` (after `npm run build`): the bug zoo's catch table.
 *
 * For every entry of scenarios/zoo/zoo.json it runs the systematic pass and
 * exploration (`--runs 200 --seed 1` by default) on the buggy target and on
 * its fixed twin, then prints the table — bug, the checks that caught it,
 * found by systematic or explore (or both), cases until explore found it
 * (its first failure's index + 1), the shrunk schedule's size, and whether the
 * twin passed — and writes it to reports/zoo.md.
 *
 *   node scripts/zoo.mjs [--runs N] [--twin-runs N] [--seed S] [--concurrency N] [--only ID,ID] [--keep-reports]
 *
 * --runs is explore's run count for the buggy entries (they stop at their
 * first failure) and, unless --twin-runs says otherwise, for the twins.
 *
 * Exit status 0 when every entry behaves as declared (its known gaps and the
 * known false alarms of zoo.json included), 1 otherwise.
 *
 * test/zoo/zoo.test.ts imports the helpers below and gives them the src API;
 * this script gives them dist's.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ZOO_DIR = path.join(ROOT, 'scenarios', 'zoo');

/** Faults that leave the upstream answering normally (concurrent-same-key's own notion). */
const BENIGN_FAULTS = ['none', 'slow'];

/**
 * The zoo's manifest with each entry's files resolved.
 * @returns {{ entries: Array<{ id: string, bug: string, language: string, dir: string, buggy: string, fixed: string,
 *   knownGaps: { systematic?: string[], explore?: string, why?: string }, exploreAlsoFails: Record<string, string> }>,
 *   knownFalseAlarms: Array<{ check: string, why: string, includes?: string, unless?: string, faulted?: boolean }> }}
 */
export function loadZoo() {
  const manifest = JSON.parse(readFileSync(path.join(ZOO_DIR, 'zoo.json'), 'utf8'));
  return {
    knownFalseAlarms: manifest.knownFalseAlarms ?? [],
    entries: manifest.entries.map((entry) => ({
      ...entry,
      knownGaps: entry.knownGaps ?? {},
      exploreAlsoFails: entry.exploreAlsoFails ?? {},
      dir: path.join(ZOO_DIR, entry.id),
      buggy: path.join(ZOO_DIR, entry.id, 'buggy.yaml'),
      fixed: path.join(ZOO_DIR, entry.id, 'fixed.yaml'),
    })),
  };
}

/**
 * Is this failed check of this case one of the harness's known false alarms
 * (zoo.json `knownFalseAlarms`: {check, why, and optionally: includes — a
 * text its message contains, unless — a text that makes it a real failure,
 * faulted — only in cases where a fault other than none/slow was applied})?
 * None today: the one this zoo found (concurrent-same-key blaming a racer
 * whose own request was faulted) has been fixed in src.
 */
export function isKnownFalseAlarm(zoo, caseResult, checkResult) {
  return zoo.knownFalseAlarms.some(
    (alarm) =>
      alarm.check === checkResult.check &&
      (!alarm.includes || checkResult.message.includes(alarm.includes)) &&
      (!alarm.unless || !checkResult.message.includes(alarm.unless)) &&
      (!alarm.faulted || caseResult.faults.some((application) => application.requestId !== null && !BENIGN_FAULTS.includes(application.binding.fault))),
  );
}

/** Every failed check of every case: { caseId, check, message, knownFalseAlarm }. */
function failures(zoo, cases) {
  return cases.flatMap((item) =>
    item.checks
      .filter((check) => check.status === 'fail')
      .map((check) => ({ caseId: item.id, check: check.check, message: check.message, knownFalseAlarm: isKnownFalseAlarm(zoo, item, check) })),
  );
}

/**
 * The systematic pass over one scenario file.
 * @param api {{ loadScenario: Function, runScenario: Function }}
 */
export async function systematicPass(api, zoo, file, { reportsDir, concurrency = 2 }) {
  const scenario = api.loadScenario(file);
  const started = performance.now();
  const result = await api.runScenario(scenario, { reportsDir, concurrency });
  const failed = failures(zoo, result.cases);
  return {
    name: scenario.name,
    expected: [...scenario.expect.fail],
    failedChecks: [...result.failedChecks],
    cases: result.cases.length,
    /** Target invocations (each a process for a command target). */
    invocations: result.cases.reduce((sum, item) => sum + item.invocations, 0),
    /** The first case that failed each check: where to look. */
    firstFailing: Object.fromEntries(result.failedChecks.map((check) => [check, failed.find((f) => f.check === check)])),
    seconds: (performance.now() - started) / 1000,
    runDir: result.runDir,
  };
}

/**
 * Exploration of one scenario file. Only `lookFor` checks stop it and are
 * shrunk (a buggy entry's declared checks; for a twin, every check but the
 * known false alarms'); every failure of any case is reported in `failures`.
 * @param api {{ loadScenario: Function, exploreScenario: Function }}
 */
export async function explorePass(api, zoo, file, { runs, seed = 1, lookFor, reportsDir, concurrency = 2, shrinkBudgetMs = 60_000 }) {
  const scenario = api.loadScenario(file);
  const started = performance.now();
  const checks = lookFor ?? scenario.checks.filter((check) => !zoo.knownFalseAlarms.some((alarm) => alarm.check === check));
  // A buggy entry stops at its first failure (as exploration did before it went on to find every distinct one).
  const result = await api.exploreScenario(scenario, { runs, seed, concurrency, reportsDir, checks, shrinkBudgetMs, maxFailures: lookFor ? 1 : undefined });
  const { explore } = result;
  return {
    name: scenario.name,
    runs,
    executed: explore.executed,
    /** Every case run, shrinking included. */
    cases: result.cases.length,
    invocations: result.cases.reduce((sum, item) => sum + item.invocations, 0),
    casesUntilFound: explore.firstFailure ? explore.firstFailure.index + 1 : null,
    firstSize: explore.firstFailure?.scheduleSize ?? null,
    minimal: explore.minimal
      ? {
          size: explore.minimal.scheduleSize,
          failedChecks: explore.minimal.failedChecks,
          text: explore.minimal.scheduleText,
          shrinks: explore.minimal.shrinks,
        }
      : null,
    failures: failures(zoo, result.cases.filter((item) => item.kind === 'explore')),
    seconds: (performance.now() - started) / 1000,
    runDir: result.runDir,
  };
}

const sameSet = (a, b) => a.length === b.length && a.every((item) => b.includes(item));

/**
 * One row of the catch table, and what is wrong with the entry (empty when
 * it behaves as declared). `buggyExplore`/`fixedExplore` may be null (not run).
 */
export function judgeEntry(zoo, entry, { buggy, fixed, buggyExplore, fixedExplore }) {
  const problems = [];
  const declared = buggy.expected;
  const gap = entry.knownGaps.systematic ?? [];
  // Systematic: exactly the declared checks, less the known gaps (which no check catches yet).
  const shouldFail = declared.filter((check) => !gap.includes(check));
  if (!sameSet(buggy.failedChecks, shouldFail)) {
    const extra = buggy.failedChecks.filter((check) => !declared.includes(check));
    const missed = shouldFail.filter((check) => !buggy.failedChecks.includes(check));
    const fixedGap = gap.filter((check) => buggy.failedChecks.includes(check));
    if (extra.length) problems.push(`${buggy.name}: false alarm, undeclared checks failed: ${extra.map((check) => `${check} (${buggy.firstFailing[check]?.caseId}: ${buggy.firstFailing[check]?.message})`).join('; ')}`);
    if (missed.length) problems.push(`${buggy.name}: missed, declared checks did not fail: ${missed.join(', ')}`);
    if (fixedGap.length) problems.push(`${buggy.name}: the known gap is closed (${fixedGap.join(', ')} now fail): remove it from zoo.json`);
  }
  if (fixed.failedChecks.length > 0) {
    problems.push(`${fixed.name}: the twin failed ${fixed.failedChecks.map((check) => `${check} (${fixed.firstFailing[check]?.caseId}: ${fixed.firstFailing[check]?.message})`).join('; ')}`);
  }
  if (buggyExplore) {
    const allowed = [...declared, ...Object.keys(entry.exploreAlsoFails)];
    const real = buggyExplore.failures.filter((f) => !f.knownFalseAlarm && !allowed.includes(f.check));
    if (real.length) problems.push(`${buggyExplore.name} explore: false alarm, undeclared checks failed: ${real.map((f) => `${f.check} (${f.caseId}: ${f.message})`).join('; ')}`);
    if (entry.knownGaps.explore) {
      if (buggyExplore.minimal) problems.push(`${buggyExplore.name} explore: found ${buggyExplore.minimal.failedChecks.join(', ')} though zoo.json says explore cannot: remove the known gap`);
    } else if (!buggyExplore.minimal) {
      problems.push(`${buggyExplore.name} explore: no failure of ${declared.join(', ')} in ${buggyExplore.executed} random cases`);
    } else if (!buggyExplore.minimal.failedChecks.some((check) => declared.includes(check))) {
      problems.push(`${buggyExplore.name} explore: the shrunk case fails ${buggyExplore.minimal.failedChecks.join(', ')}, none of them declared`);
    }
  }
  if (fixedExplore) {
    const real = fixedExplore.failures.filter((f) => !f.knownFalseAlarm);
    if (real.length) problems.push(`${fixedExplore.name} explore: the twin failed ${real.map((f) => `${f.check} (${f.caseId}: ${f.message})`).join('; ')}`);
  }

  const exploreCaught = buggyExplore?.minimal ? buggyExplore.minimal.failedChecks.filter((check) => declared.includes(check)) : [];
  const caught = [...new Set([...buggy.failedChecks.filter((check) => declared.includes(check)), ...exploreCaught])];
  const foundBy = [buggy.failedChecks.some((check) => declared.includes(check)) ? 'systematic' : null, exploreCaught.length ? 'explore' : null].filter(Boolean);
  const twinAlarms = fixedExplore ? fixedExplore.failures.filter((f) => f.knownFalseAlarm).length : 0;
  return {
    problems,
    row: {
      id: entry.id,
      bug: entry.bug,
      language: entry.language,
      declared,
      caught,
      missed: declared.filter((check) => !caught.includes(check)),
      foundBy: foundBy.length ? foundBy.join(' + ') : 'MISSED',
      casesUntilFound: buggyExplore?.minimal ? buggyExplore.casesUntilFound : null,
      exploreRuns: buggyExplore?.runs ?? null,
      shrunk: buggyExplore?.minimal ? buggyExplore.minimal.size : null,
      firstSize: buggyExplore?.minimal ? buggyExplore.firstSize : null,
      minimal: buggyExplore?.minimal?.text ?? null,
      gap: entry.knownGaps.why ?? entry.knownGaps.explore ?? null,
      twin: fixed.failedChecks.length === 0 && (!fixedExplore || fixedExplore.failures.every((f) => f.knownFalseAlarm)) ? 'pass' : 'FAIL',
      twinCases: `${fixed.cases} systematic${fixedExplore ? ` + ${fixedExplore.executed} explore` : ''}`,
      twinAlarms,
      ok: problems.length === 0,
    },
  };
}

/** The catch table in Markdown. */
export function formatTable(rows, { runs, twinRuns = runs, seed, seconds } = {}) {
  const cell = (text) => String(text).replace(/\|/g, '\\|');
  const lines = [
    '| # | bug | lang | checks that caught it | found by | cases until found | shrunk size | twin |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const caught = row.caught.length ? row.caught.join(', ') : '—';
    const missed = row.missed.length ? ` (missed: ${row.missed.join(', ')})` : '';
    const until = row.casesUntilFound === null ? '—' : `${row.casesUntilFound} of ${row.exploreRuns}`;
    const shrunk = row.shrunk === null ? '—' : `${row.shrunk} fault${row.shrunk === 1 ? '' : 's'}${row.firstSize !== row.shrunk ? ` (from ${row.firstSize})` : ''}`;
    const twin = `${row.twin} (${row.twinCases})`;
    lines.push(`| ${row.id.slice(0, 2)} | ${cell(row.bug)} | ${row.language === 'JavaScript' ? 'JS' : 'Py'} | ${cell(caught + missed)} | ${row.foundBy} | ${until} | ${shrunk} | ${twin} |`);
  }
  const notes = [];
  for (const row of rows) {
    if (row.minimal) notes.push(`- ${row.id}: shrunk schedule: ${row.minimal}`);
  }
  for (const row of rows) {
    if (row.gap) notes.push(`- ${row.id}: known gap: ${row.gap}`);
  }
  const alarms = rows.filter((row) => row.twinAlarms > 0);
  if (alarms.length) {
    notes.push(`- known false alarm (zoo.json knownFalseAlarms) seen in the twins' exploration: ${alarms.map((row) => `${row.id} ${row.twinAlarms}×`).join(', ')}`);
  }
  for (const row of rows.filter((item) => !item.ok)) notes.push(`- ${row.id}: NOT AS DECLARED (see the run's output)`);
  const twins = twinRuns === runs ? 'and every twin' : `(twins: --runs ${twinRuns})`;
  const header = runs ? [`Explore: --runs ${runs} --seed ${seed} on every buggy entry ${twins}${seconds ? `; ${Math.round(seconds)} s in all` : ''}.`, ''] : [];
  return [...header, ...lines, '', ...notes].join('\n');
}

/** Runs one entry: systematic and (unless runs is 0) explore on both scenarios. */
export async function runEntry(api, zoo, entry, { runs, twinRuns = runs, seed = 1, reportsDir, concurrency = 2 }) {
  const buggy = await systematicPass(api, zoo, entry.buggy, { reportsDir, concurrency });
  const fixed = await systematicPass(api, zoo, entry.fixed, { reportsDir, concurrency });
  const buggyExplore = runs > 0 ? await explorePass(api, zoo, entry.buggy, { runs, seed, lookFor: buggy.expected, reportsDir, concurrency }) : null;
  const fixedExplore = twinRuns > 0 ? await explorePass(api, zoo, entry.fixed, { runs: twinRuns, seed, reportsDir, concurrency }) : null;
  return { buggy, fixed, buggyExplore, fixedExplore, ...judgeEntry(zoo, entry, { buggy, fixed, buggyExplore, fixedExplore }) };
}

function writeAtomically(file, text) {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

function parseArgs(argv) {
  const options = { runs: 200, twinRuns: undefined, seed: 1, concurrency: 2, only: null, keepReports: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const next = argv[(i += 1)];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--runs') options.runs = Number(value());
    else if (arg === '--twin-runs') options.twinRuns = Number(value());
    else if (arg === '--seed') options.seed = Number(value());
    else if (arg === '--concurrency') options.concurrency = Number(value());
    else if (arg === '--only') options.only = value().split(',');
    else if (arg === '--keep-reports') options.keepReports = true;
    else throw new Error(`unknown argument ${arg} (use --runs N, --twin-runs N, --seed S, --concurrency N, --only ID,ID, --keep-reports)`);
  }
  options.twinRuns ??= options.runs;
  for (const name of ['runs', 'twinRuns', 'seed', 'concurrency']) {
    if (!Number.isInteger(options[name]) || options[name] < 0) throw new Error(`--${name} takes a whole number`);
  }
  return options;
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`zoo: ${error.message}`);
    return 2;
  }
  const api = await import(pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href).catch(() => null);
  if (!api?.exploreScenario) {
    console.error('zoo: dist/index.js is missing or old: run `npm run build` first (`npm run zoo` does)');
    return 2;
  }
  const zoo = loadZoo();
  const entries = zoo.entries.filter((entry) => !options.only || options.only.some((id) => entry.id.startsWith(id)));
  if (entries.length === 0) {
    console.error(`zoo: no entry matches --only ${options.only.join(',')}`);
    return 2;
  }
  const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-zoo-'));
  const started = performance.now();
  const rows = [];
  let ok = true;
  try {
    for (const entry of entries) {
      const result = await runEntry(api, zoo, entry, { runs: options.runs, twinRuns: options.twinRuns, seed: options.seed, reportsDir, concurrency: options.concurrency });
      rows.push(result.row);
      const found = result.row.casesUntilFound === null ? '' : `, explore found it at case ${result.row.casesUntilFound} and shrank it to ${result.row.shrunk}`;
      const times = [result.buggy, result.fixed, result.buggyExplore, result.fixedExplore].map((part) => (part ? part.seconds.toFixed(1) : '-'));
      console.log(`${result.row.ok ? 'ok  ' : 'FAIL'} ${entry.id}: caught by ${result.row.caught.join(', ') || 'nothing'} (${result.row.foundBy}${found}); twin ${result.row.twin}; ${times.join(' + ')} s`);
      for (const problem of result.problems) console.log(`     ${problem}`);
      ok &&= result.row.ok;
    }
  } finally {
    if (options.keepReports) console.log(`reports kept in ${reportsDir}`);
    else rmSync(reportsDir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  const table = formatTable(rows, { runs: options.runs, twinRuns: options.twinRuns, seed: options.seed, seconds });
  const file = path.join(ROOT, 'reports', 'zoo.md');
  writeAtomically(file, `# The bug zoo: what catches what\n\nGenerated by \`npm run zoo\` (scripts/zoo.mjs) from scenarios/zoo/zoo.json.\n\n${table}\n`);
  console.log(`\n${table}\n\nwritten to ${path.relative(process.cwd(), file)}; ${ok ? 'every entry behaves as declared' : 'SOME ENTRIES DO NOT BEHAVE AS DECLARED'} (${Math.round(seconds)} s)`);
  return ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error?.describe?.() ?? error?.stack ?? error);
      process.exitCode = 2;
    },
  );
}
