#!/usr/bin/env node
// The real-world corpus (scenarios/real/): runs every configuration listed in
// scenarios/real/expected.json with `retryproof run`, compares each verdict with
// the one written down before its first run, prints a Markdown table and writes
// it to reports/real.md. Exits 1 when a verdict disagrees with its expectation
// (unless known-disagreements.json lists that very verdict, explained in the README).
//
//   npm run real                     # build, set up the Python venv if missing, run all
//   node scripts/real.mjs --only ky  # configurations whose id contains "ky" (after npm run build)
//   node scripts/real.mjs --setup    # only (re)create scenarios/real/.venv
//   --jobs N (default 2): configurations run at once; --keep-reports: keep the run folders
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const realDir = path.join(root, 'scenarios', 'real');
const { values: opts } = parseArgs({
  options: {
    only: { type: 'string' },
    jobs: { type: 'string', default: '2' },
    setup: { type: 'boolean', default: false },
    'keep-reports': { type: 'boolean', default: false },
  },
});

// The checks that make "safe to retry" (DESIGN: effects and retry behaviour).
const EFFECTS = ['no-duplicate-effects', 'no-lost-effects', 'replay-commits-nothing', 'mismatch-commits-nothing', 'concurrent-commits-once', 'dry-run-no-effects'];
const RETRY = ['key-stable-across-retries', 'no-retry-on-permanent', 'retry-policy'];
const SAFETY = new Set([...EFFECTS, ...RETRY]);
// Before the split: the combined checks count as effects failures only when they say something committed.
const LEGACY_SPLIT = { 'replay-is-noop': 'replay-commits-nothing', 'key-mismatch-rejected': 'mismatch-commits-nothing', 'concurrent-same-key': 'concurrent-commits-once' };

function setupVenv() {
  const venv = path.join(realDir, '.venv');
  const python = path.join(venv, 'bin', 'python');
  if (existsSync(python) && !opts.setup) return;
  const wheels = process.env.REAL_WHEELS ?? '/opt/pypi/files';
  console.error(`setting up ${path.relative(root, venv)} (${existsSync(wheels) ? `wheels from ${wheels}` : 'from the package index'})`);
  const run = (argv) => {
    const result = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}`);
  };
  run(['python3', '-m', 'venv', '--clear', venv]);
  const source = existsSync(wheels) ? ['--no-index', '--find-links', wheels] : [];
  run([python, '-m', 'pip', 'install', '-q', ...source, '-r', path.join(realDir, 'requirements.txt')]);
}

function findReport(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findReport(full);
      if (found) return found;
    } else if (entry.name === 'report.json') return full;
  }
  return undefined;
}

/** safety and contract from report.json: its own sections when it has them, else from the check results. */
function verdictOf(report) {
  if (report.safety) {
    return {
      safe: report.safety.safe,
      failing: [...report.safety.failedChecks].sort(),
      contract: report.contract ? (report.contract.level ?? 'n/a') : levelOf(report),
      // The contract fails a run only where it is gated (contract: required, or auto when the target claims it).
      contractGate: report.contract?.gated && report.contract.failedChecks?.length ? report.contract.failedChecks : [],
      source: 'report.safety',
    };
  }
  const failing = new Set();
  for (const kase of report.cases ?? []) {
    for (const check of kase.checks ?? []) {
      if (check.status !== 'fail') continue;
      const name = check.check ?? check.name;
      if (SAFETY.has(name)) failing.add(name);
      else if (LEGACY_SPLIT[name] && /commit/i.test(check.message ?? '')) failing.add(LEGACY_SPLIT[name]);
    }
  }
  return { safe: failing.size === 0, failing: [...failing].sort(), contract: levelOf(report), source: 'computed from cases[].checks[]' };
}

function levelOf(report) {
  const level = report.contract?.level ?? report.conformance?.level;
  return level === undefined || level === null ? 'n/a' : level;
}

function runOne(config, reportsDir) {
  const scenario = path.join('scenarios', 'real', `${config.id}.yaml`);
  const out = path.join(reportsDir, config.id);
  mkdirSync(out, { recursive: true });
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/cli/main.js', 'run', scenario, '--reports', out, '--quiet'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => {
      const seconds = (Date.now() - started) / 1000;
      const reportPath = existsSync(out) ? findReport(out) : undefined;
      if (!reportPath) return resolve({ config, code, seconds, error: `no report.json (exit ${code}): ${output.trim().split('\n').slice(-3).join(' / ')}` });
      const report = JSON.parse(readFileSync(reportPath, 'utf8'));
      resolve({ config, code, seconds, verdict: verdictOf(report), reportPath, output });
    });
  });
}

function sameSet(a, b) {
  return a.length === b.length && [...a].sort().every((name, i) => name === [...b].sort()[i]);
}

async function main() {
  setupVenv();
  if (opts.setup) return 0;
  const expected = JSON.parse(readFileSync(path.join(realDir, 'expected.json'), 'utf8'));
  // Disagreements already seen and explained (README): listed apart, so expected.json stays as first written.
  const knownFile = path.join(realDir, 'known-disagreements.json');
  const knownEntries = [...(expected.knownDisagreements ?? []), ...(existsSync(knownFile) ? JSON.parse(readFileSync(knownFile, 'utf8')).entries : [])];
  const known = new Map(knownEntries.map((entry) => [entry.id, entry]));
  const configs = expected.configurations.filter((config) => !opts.only || config.id.includes(opts.only));
  if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run npm run build first');
  const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-real-'));
  const started = Date.now();
  const results = new Array(configs.length);
  let next = 0;
  const lane = async () => {
    while (next < configs.length) {
      const index = next++;
      const result = await runOne(configs[index], reportsDir);
      results[index] = result;
      const v = result.verdict;
      console.error(`${result.config.id}: ${v ? (v.safe ? 'safe' : `unsafe (${v.failing.join(', ')})`) : result.error} — exit ${result.code}, ${result.seconds.toFixed(1)} s`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Number(opts.jobs)) }, lane));
  const wall = (Date.now() - started) / 1000;

  const rows = [];
  let disagreements = 0;
  for (const result of results) {
    const { config, verdict } = result;
    const expectedText = config.safe ? 'safe' : `unsafe: ${config.failing.join(', ')}`;
    let got;
    let agrees;
    let failing = '';
    let level = '';
    if (!verdict) {
      got = `error: ${result.error}`;
      agrees = false;
    } else {
      got = verdict.safe ? 'safe' : 'unsafe';
      failing = verdict.failing.join(', ') || '—';
      level = String(verdict.contract);
      agrees = verdict.safe === config.safe && sameSet(verdict.failing, config.failing);
      // Once report.json has `safety`, the exit status follows it (0 safe, 1 unsafe), and a gated contract failure.
      if (verdict.source === 'report.safety') {
        const gated = verdict.contractGate.length > 0;
        if (gated) got += ` (exit ${result.code}: contract gated, ${verdict.contractGate.join(', ')})`;
        if (result.code !== (verdict.safe && !gated ? 0 : 1)) {
          got += ` (exit ${result.code})`;
          agrees = false;
        }
      }
    }
    let agreesText = agrees ? 'yes' : 'no';
    // Known only while the verdict is still the one explained; any other verdict counts again.
    const knownGot = known.get(config.id)?.got;
    if (!agrees && verdict && knownGot && knownGot.safe === verdict.safe && sameSet(knownGot.failing, verdict.failing)) agreesText = 'no (known, see README)';
    else if (!agrees) disagreements += 1;
    rows.push(`| ${config.library} | ${config.id}: ${config.configuration} | ${expectedText} | ${got} | ${failing} | ${level} | ${agreesText} |`);
  }
  const source = results.find((result) => result.verdict)?.verdict.source ?? 'n/a';
  const table = [
    '| library | configuration | expected | got | failing checks (safety) | contract level | agrees |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  const summary = `${results.length} configurations, ${results.length - disagreements} as expected or known, ${disagreements} unexplained disagreement${disagreements === 1 ? '' : 's'}; wall time ${wall.toFixed(0)} s (${opts.jobs} at once, ${os.cpus().length} cores); safety ${source}.`;
  console.log(table);
  console.log(`\n${summary}`);
  mkdirSync(path.join(root, 'reports'), { recursive: true });
  writeFileSync(
    path.join(root, 'reports', 'real.md'),
    `# The real-world corpus\n\n\`npm run real\`, ${new Date().toISOString()}. Expectations: scenarios/real/expected.json (written before the first run); explanations: scenarios/real/README.md.\n\n${table}\n\n${summary}\n`,
  );
  if (opts['keep-reports']) console.error(`run folders kept in ${reportsDir}`);
  else rmSync(reportsDir, { recursive: true, force: true });
  return disagreements === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`real: ${error.message}`);
    process.exit(2);
  },
);
