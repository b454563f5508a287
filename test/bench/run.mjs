#!/usr/bin/env node
// `npm run bench`: retryproof's cost next to the physical limit and next to a
// peer. Prints a table (figure, value, ratio, target, met) and writes it to
// reports/bench.md. Every figure is a ratio of variants measured side by side
// in this run (interleaved, repeated, medians), because the machine is shared
// and its absolute speed changes from minute to minute.
//
//   node test/bench/run.mjs [--quick] [--only overhead,throughput,hold,settle,scaling,ledger,openapi,proxy,targetstate]
//
// Bounded: each section has a budget of rounds and of time, the whole run
// stops itself after BENCH_MAX_SECONDS (default 250); all traffic stays on
// 127.0.0.1; every server and child process is closed at the end, also on
// failure or Ctrl-C. Not part of `npm test` (vitest excludes test/bench).
// Exits 1 when a figure misses its target or a section fails (the report is
// written first, and each missed figure is named on stderr).
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDist } from './lib/dist.mjs';
import { killAllTracked, trackedCount } from './lib/procs.mjs';
import { benchVerdict } from './lib/verdict.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.indexOf('--only');
// In run order, with each section's planned seconds: a section that finds its
// time short runs fewer rounds (and says so) rather than overrun the total.
const PLAN = { overhead: 85, throughput: 65, hold: 20, settle: 60, ledger: 5, openapi: 20, scaling: 95, proxy: 20, targetstate: 30 };
const SECTIONS = Object.keys(PLAN);
const only = onlyArg >= 0 ? args[onlyArg + 1].split(',') : SECTIONS;
// `npm run bench` must finish in 5 minutes on 2 cores, build included.
const maxSeconds = Number(process.env.BENCH_MAX_SECONDS ?? 270);
const started = performance.now();
const deadline = started + maxSeconds * 1000;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'retryproof-bench-'));
const loadBefore = os.loadavg();

const cleanup = () => {
  killAllTracked();
  rmSync(tmp, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping\n`);
    cleanup();
    process.exit(130);
  });
}
// The last resort: a run that overstays its bound stops itself.
const watchdog = setTimeout(() => {
  process.stderr.write(`\nbench: still running after ${maxSeconds + 30} s, giving up\n`);
  cleanup();
  process.exit(3);
}, (maxSeconds + 30) * 1000);
watchdog.unref();

const notes = [];
const ctx = {
  dist: await loadDist(),
  quick,
  tmp,
  shared: {},
  timeLeft: () => deadline - performance.now(),
  /** When the running section should be done by (set before each section). */
  sectionEnd: deadline,
  /** Time left in the running section. */
  sectionLeft: () => ctx.sectionEnd - performance.now(),
  note: (message) => {
    notes.push(message);
    process.stderr.write(`  note: ${message}\n`);
  },
  progress: (message) => process.stderr.write(`  ${message}\n`),
};

const rows = [];
const sectionTimes = [];
let failed = false;
const selected = SECTIONS.filter((s) => only.includes(s));
for (const [index, name] of selected.entries()) {
  // Its plan, less what the sections after it would be short of; never under half its plan.
  const later = selected.slice(index + 1).reduce((total, next) => total + PLAN[next] * 1000, 0);
  const allowed = Math.max(PLAN[name] * 500, Math.min(PLAN[name] * 1000, ctx.timeLeft() - later));
  if (ctx.timeLeft() < PLAN[name] * 300) {
    ctx.note(`${name}: skipped, the run's time budget (${maxSeconds} s) is spent`);
    continue;
  }
  ctx.sectionEnd = performance.now() + allowed;
  const t = performance.now();
  process.stderr.write(`bench: ${name}...\n`);
  try {
    const section = await import(`./sections/${name}.mjs`);
    rows.push(...(await section.run(ctx)));
  } catch (error) {
    failed = true;
    ctx.note(`${name} FAILED: ${error?.stack ?? error}`);
  }
  sectionTimes.push(`${name} ${((performance.now() - t) / 1000).toFixed(0)} s`);
  if (trackedCount() > 0) ctx.note(`${name} left ${trackedCount()} child process(es) running; killed`);
  killAllTracked();
}
const seconds = (performance.now() - started) / 1000;
// Everything the sections opened must be closed by now: no listening socket, no child.
await new Promise((resolve) => setTimeout(resolve, 50));
const open = process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap' || kind === 'ProcessWrap');
if (open.length > 0) {
  failed = true;
  ctx.note(`left open after the sections: ${open.join(', ')}`);
}

const cell = (text) => String(text).replace(/\|/g, '\\|');
const metText = (met) => (met === null || met === undefined ? '–' : met ? 'yes' : 'NO');
const table = [
  '| figure | value | ratio | target | met |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| ${cell(r.figure)} | ${cell(r.value)} | ${cell(r.ratioText)} | ${cell(r.target)} | ${metText(r.met)} |`),
].join('\n');

const profile = ctx.shared.profile
  ? [
      '',
      '## Where the upstream spends its CPU (node --cpu-prof, 10 connections)',
      '',
      'Share of non-idle samples at or under each frame (they may overlap: a frame counts under each group it is in).',
      '',
      ...ctx.shared.profile.map((p) => `- ${p.name}: ${(100 * p.share).toFixed(0)} %`),
    ]
  : [];

const report = [
  '# retryproof benchmarks',
  '',
  `Run ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} cores, load average ${loadBefore.map((l) => l.toFixed(1)).join(' ')} at start, ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at end${quick ? ', QUICK mode (fewer rounds)' : ''}.`,
  `Bench time ${seconds.toFixed(0)} s (${sectionTimes.join(', ')}; \`npm run bench\` adds the build).`,
  '',
  'Every ratio compares variants measured side by side in this run (interleaved rounds, medians),',
  'so it holds on a shared machine where absolute numbers do not. Produced by `npm run bench`',
  '(test/bench/run.mjs); what each figure measures is written at the top of its file in test/bench/sections/.',
  '',
  table,
  ...profile,
  '',
  ...(notes.length ? ['## Notes', '', ...notes.map((n) => `- ${n.split('\n')[0]}`)] : []),
  '',
].join('\n');

const out = path.resolve('reports', 'bench.md');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(`${out}.tmp`, report);
renameSync(`${out}.tmp`, out);

process.stdout.write(`\n${table}\n\nmet: ${rows.filter((r) => r.met === true).length}, not met: ${rows.filter((r) => r.met === false).length}; bench ${seconds.toFixed(0)} s; written to ${path.relative(process.cwd(), out)}\n`);
cleanup();
clearTimeout(watchdog);
// The report is written either way; a figure that misses its target (or a failed section) fails the run.
const verdict = benchVerdict(rows, failed);
for (const missed of verdict.missed) process.stderr.write(`bench: target missed: ${missed}\n`);
if (failed) process.stderr.write('bench: a section failed (see the notes)\n');
process.exit(verdict.code);
