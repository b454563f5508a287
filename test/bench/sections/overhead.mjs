// Figure 1: harness overhead per case. `explore` of a retry-safe command
// target with no faults, against spawning the same target the same number of
// times against a bare node:http upstream with no harness at all. Rounds
// alternate which side goes first (ABBA); the ratio is the median of the
// rounds' ratios (each round measured side by side, minutes apart at most).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { startBareServer } from '../lib/bare-server.mjs';
import { selfAndChildrenCpuMs } from '../lib/cpu.mjs';
import { spawnTracked } from '../lib/procs.mjs';
import { median, sum } from '../lib/stats.mjs';

export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

/** Runs the tiny target once, as the harness would but with nothing around it. */
export function spawnBare(url, key, extraEnv = {}) {
  return new Promise((resolve, reject) => {
    const child = spawnTracked('node', [path.join(FIXTURES, 'tiny-target.mjs'), '--key', key, '--amount', '100'], {
      cwd: FIXTURES,
      env: { ...process.env, UPSTREAM_URL: url, REQUEST_TIMEOUT_MS: '2000', TARGET_WAIT_MS: '0', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.resume();
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        const result = JSON.parse(out);
        if (code !== 0 || !['created', 'noop'].includes(result.effect)) reject(new Error(`bare target failed: exit ${code}, ${out}`));
        else resolve(result);
      } catch {
        reject(new Error(`bare target printed no JSON: exit ${code}, ${out}`));
      }
    });
  });
}

/** The invocations explore will make for `runs` cases of this seed: 1 per case, +1 when it replays, +1 baseline. */
export function predictInvocations(dist, scenario, runs, seed) {
  const space = dist.scheduleSpace(scenario, new Map([['create-order', ['payments']]]), new Set());
  const schedules = fc.sample(dist.scheduleArbitrary(space), { seed, numRuns: runs });
  if (schedules.some((s) => s.faults.length > 0 || s.caller.concurrent || s.caller.mismatch)) throw new Error('the none-only fixture drew a schedule with a fault or probe');
  return 1 + sum(schedules.map((s) => 1 + (s.caller.replay ? 1 : 0)));
}

/**
 * What the harness pays after every target exit to make sure its process
 * group is gone (src/targets/process-group.ts waitForGroupGone scans /proc),
 * next to a kill(-pgid, 0) probe, on a group that is already empty: the
 * common case of a target that forked nothing.
 */
async function groupCheckCost() {
  const url = new URL('../../../dist/targets/process-group.js', import.meta.url).href;
  const { waitForGroupGone } = await import(url);
  if (typeof waitForGroupGone !== 'function') return null;
  const { spawn } = await import('node:child_process');
  const child = spawn('true', [], { detached: true, stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  const pgid = child.pid;
  const reps = 30;
  const scanMs = [];
  const probeMs = [];
  for (let i = 0; i < reps; i += 1) {
    let t = performance.now();
    await waitForGroupGone(pgid);
    scanMs.push(performance.now() - t);
    t = performance.now();
    try {
      process.kill(-pgid, 0);
    } catch (error) {
      if (error.code !== 'ESRCH') throw error;
    }
    probeMs.push(performance.now() - t);
  }
  return { scan: median(scanMs), probe: median(probeMs) };
}

export async function run(ctx) {
  const { dist } = ctx;
  const scenario = dist.loadScenario(path.join(FIXTURES, 'none-only.yaml'));
  // Many short rounds: the machine is shared, and a round of ~10 cases (a few
  // seconds) sees the same load on both of its sides far more often than a
  // round of 100 would.
  const total = ctx.quick ? 40 : 200;
  const perRound = 10;
  const rounds = Math.ceil(total / perRound);
  let roundMs = 0;
  const reportsDir = mkdtempSync(path.join(ctx.tmp, 'overhead-'));
  const bare = await startBareServer();
  const ratios = [];
  const cpuRatios = [];
  const harnessCpu = [];
  const bareCpu = [];
  const harnessMs = [];
  const bareMs = [];
  const caseMs = [];
  const ledger = { bytes: 0, cases: 0, files: 0 };
  let cases = 0;
  let spawned = 0;
  try {
    for (let round = 0; round < rounds; round += 1) {
      // Stop when another round (as long as the longest so far) would overrun the section.
      if (round >= 2 && ctx.sectionLeft() < roundMs + 3_000) {
        ctx.note(`overhead: ran ${cases} of ${total} cases (${round} of ${rounds} rounds): the section's time budget ran out (the machine is shared and was slow)`);
        break;
      }
      const seed = 4242 + round;
      const invocations = predictInvocations(dist, scenario, perRound, seed);
      const sides = {
        harness: async () => {
          const started = performance.now();
          const result = await dist.exploreScenario(scenario, { runs: perRound, seed, concurrency: 1, reportsDir });
          const ms = performance.now() - started;
          const actual = sum(result.cases.map((c) => c.invocations)) + result.baselines.length;
          if (result.verdict !== 'pass' || result.cases.length !== perRound) throw new Error(`overhead: explore did not pass all ${perRound} cases (${result.failedChecks.join(', ')})`);
          if (actual !== invocations) ctx.note(`overhead round ${round + 1}: explore made ${actual} invocations, ${invocations} predicted (bare side used the prediction)`);
          caseMs.push(...result.cases.map((c) => c.durationMs));
          const file = path.join(result.runDir, 'ledger.sqlite');
          ledger.bytes += statSync(file).size;
          ledger.cases += result.cases.length + result.baselines.length;
          ledger.files += 1;
          rmSync(result.runDir, { recursive: true, force: true });
          cases += perRound;
          return ms;
        },
        bare: async () => {
          const started = performance.now();
          for (let i = 0; i < invocations; i += 1) await spawnBare(bare.url, `bench-bare-${round}-${i}`);
          spawned += invocations;
          return performance.now() - started;
        },
      };
      const order = round % 4 === 0 || round % 4 === 3 ? ['harness', 'bare'] : ['bare', 'harness']; // ABBA
      const roundStarted = performance.now();
      const times = {};
      const cpu = {};
      for (const side of order) {
        const cpuBefore = selfAndChildrenCpuMs();
        times[side] = await sides[side]();
        cpu[side] = selfAndChildrenCpuMs() - cpuBefore;
      }
      roundMs = Math.max(roundMs, performance.now() - roundStarted);
      harnessCpu.push(cpu.harness);
      bareCpu.push(cpu.bare);
      cpuRatios.push(cpu.harness / cpu.bare);
      harnessMs.push(times.harness);
      bareMs.push(times.bare);
      ratios.push(times.harness / times.bare);
      ctx.progress(`overhead round ${round + 1}/${rounds}: harness ${times.harness.toFixed(0)} ms, bare ${times.bare.toFixed(0)} ms, ratio ${(times.harness / times.bare).toFixed(3)}`);
    }
  } finally {
    await bare.close();
    rmSync(reportsDir, { recursive: true, force: true });
  }
  const ratio = median(ratios);
  const pooled = sum(harnessMs) / sum(bareMs);
  const perCaseOverheadMs = (sum(harnessMs) - sum(bareMs)) / Math.max(1, cases);
  ctx.shared.medianCaseMs = median(caseMs);
  const group = await groupCheckCost().catch(() => null);
  ctx.shared.realLedger = ledger;
  return [
    {
      figure: `1. harness overhead: explore ${cases} cases (none fault) vs ${spawned} bare spawns + node:http`,
      value: `${(sum(harnessMs) / 1000).toFixed(1)} s vs ${(sum(bareMs) / 1000).toFixed(1)} s`,
      ratio,
      ratioText: `${ratio.toFixed(3)} (median of ${ratios.length} rounds; pooled ${pooled.toFixed(3)})`,
      target: '≤ 1.15',
      met: ratio <= 1.15,
    },
    {
      figure: '1a. same, by CPU time (this process + the targets it ran): harness / bare',
      value: `${(sum(harnessCpu) / 1000).toFixed(1)} s vs ${(sum(bareCpu) / 1000).toFixed(1)} s CPU; harness adds ${((sum(harnessCpu) - sum(bareCpu)) / Math.max(1, cases)).toFixed(1)} ms CPU per case`,
      ratio: median(cpuRatios),
      ratioText: `${median(cpuRatios).toFixed(3)} (pooled ${(sum(harnessCpu) / sum(bareCpu)).toFixed(3)})`,
      target: '≤ 1.15',
      met: median(cpuRatios) <= 1.15,
    },
    {
      figure: '1b. harness time added per case (end to end, incl. session, baseline, report)',
      value: `${perCaseOverheadMs.toFixed(1)} ms per case; median case ${ctx.shared.medianCaseMs} ms`,
      ratio: perCaseOverheadMs / ctx.shared.medianCaseMs,
      ratioText: `${((100 * perCaseOverheadMs) / ctx.shared.medianCaseMs).toFixed(1)} % of a case`,
      target: 'info',
      met: null,
    },
    ...(group
      ? [
          {
            figure: '1c. after each target exit: waitForGroupGone (/proc scan, event loop blocked) vs a kill(-pgid, 0) probe',
            value: `${group.scan.toFixed(2)} ms vs ${(group.probe * 1000).toFixed(0)} µs per invocation (${(spawned / Math.max(1, cases)).toFixed(2)} invocations per case)`,
            ratio: group.scan / group.probe,
            ratioText: `${Math.round(group.scan / group.probe)}×`,
            target: 'info',
            met: null,
          },
        ]
      : []),
  ];
}
