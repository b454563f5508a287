// Figure 4: scaling. (a) explore with concurrency 1 vs 2 on this 2-core
// machine, the same seed (so the same schedules) on both sides, rounds
// alternating which goes first; once with the fast CPU-bound tiny target, once
// with the same target waiting 150 ms on I/O first (as a real tool talking to
// a network would), which tells the harness's own parallelism from the
// machine's two cores. (b) cost per case as the schedule grows from 1 to 8
// faults (each fault fails one invocation, the caller retries with the same
// key), on the in-process module target so that the harness's own cost per
// fault is what is measured, not process starts.
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { linearFit, median, shuffled, trimmedMean } from '../lib/stats.mjs';
import { startBareServer } from '../lib/bare-server.mjs';
import { FIXTURES, predictInvocations, spawnBare } from './overhead.mjs';

const FAULT_CYCLE = ['503-before-commit', 'reset-before-commit', '500-after-commit', '503-after-commit', '429-retry-after', 'truncate-after-commit', 'reset-after-commit', '503-before-commit'];

function withInput(scenario, input) {
  return { ...scenario, operations: scenario.operations.map((op) => ({ ...op, input: { ...op.input, ...input } })) };
}

/**
 * Speed-up of the case phase (explore's own cases/s, which leaves out the
 * serial session start, baseline and report: what a run of many cases sees),
 * and of the whole call, for the record. Side by side, the machine's own
 * limit right now: the same number of bare spawns of the same target, in one
 * loop and in two parallel loops, with no harness.
 */
async function concurrency(ctx, scenario, runs, rounds, reportsDir, env, share) {
  const endBy = performance.now() + ctx.sectionLeft() * share;
  let roundMs = 0;
  const phase = [];
  const whole = [];
  const machine = [];
  const cps = { 1: [], 2: [] };
  const bare = await startBareServer();
  try {
    for (let round = 0; round < rounds; round += 1) {
      if (round >= 1 && performance.now() + roundMs > endBy) break;
      const roundStarted = performance.now();
      const seed = 777 + round;
      const invocations = predictInvocations(ctx.dist, scenario, runs, seed) - 1;
      const t = {};
      const rate = {};
      const spawnLoops = async (loops) => {
        const started = performance.now();
        await Promise.all(
          Array.from({ length: loops }, async (_, loop) => {
            for (let i = loop; i < invocations; i += loops) await spawnBare(bare.url, `scaling-${round}-${i}`, env);
          }),
        );
        return performance.now() - started;
      };
      const steps = [
        async () => {
          for (const c of round % 2 ? [2, 1] : [1, 2]) {
            const started = performance.now();
            const result = await ctx.dist.exploreScenario(scenario, { runs, seed, concurrency: c, reportsDir });
            t[c] = performance.now() - started;
            rate[c] = result.explore.casesPerSecond;
            if (result.cases.length !== runs) throw new Error(`scaling: explore ran ${result.cases.length} of ${runs} cases`);
            rmSync(result.runDir, { recursive: true, force: true });
          }
        },
        async () => {
          const one = await spawnLoops(1);
          const two = await spawnLoops(2);
          machine.push(one / two);
        },
      ];
      for (const step of round % 2 ? steps.reverse() : steps) await step();
      cps[1].push(rate[1]);
      cps[2].push(rate[2]);
      phase.push(rate[2] / rate[1]);
      whole.push(t[1] / t[2]);
      roundMs = Math.max(roundMs, performance.now() - roundStarted);
    }
  } finally {
    await bare.close();
  }
  return {
    speedup: median(phase),
    speedups: phase,
    whole: median(whole),
    machine: median(machine),
    machines: machine,
    relative: median(phase.map((p, i) => p / machine[i])),
    cps1: median(cps[1]),
    cps2: median(cps[2]),
  };
}

export async function run(ctx) {
  const { dist } = ctx;
  const reportsDir = mkdtempSync(path.join(ctx.tmp, 'scaling-'));
  const rows = [];
  try {
    rows.push(...(await scheduleLength(ctx, reportsDir)));
    const cpuBound = dist.loadScenario(path.join(FIXTURES, 'none-only.yaml'));
    // Enough cases that the last one, running alone on its lane while the other lane is done, weighs little:
    // with a handful of unequal cases (some replay, some do not) that tail, not the harness, sets the figure.
    const cpuRuns = ctx.quick ? 10 : 32;
    // A round costs about 4 explore-or-spawn passes; as many rounds (1 to 3) as the section has time for.
    const cpu = await concurrency(ctx, cpuBound, cpuRuns, ctx.quick ? 1 : 3, reportsDir, {}, 0.55);
    ctx.progress(`scaling, CPU-bound: case-phase speed-ups ${cpu.speedups.map((x) => x.toFixed(2)).join(', ')}; machine ${cpu.machines.map((x) => x.toFixed(2)).join(', ')}`);
    rows.push({
      figure: `4. explore concurrency 2 vs 1 on 2 cores: cases/s, tiny CPU-bound target (${cpuRuns} cases × ${cpu.speedups.length} rounds)`,
      value: `${cpu.cps1.toFixed(2)} → ${cpu.cps2.toFixed(2)} cases/s (whole call incl. baseline ${cpu.whole.toFixed(2)}×); bare spawns, 2 loops vs 1: ${cpu.machine.toFixed(2)}×`,
      ratio: cpu.speedup,
      ratioText: `${cpu.speedup.toFixed(2)}× (${cpu.relative.toFixed(2)} of the machine's own speed-up)`,
      target: '≥ 1.8×',
      met: cpu.speedup >= 1.8,
    });
    const ioBound = withInput(cpuBound, { waitMs: 300 });
    const ioRuns = ctx.quick ? 6 : 24;
    const io = await concurrency(ctx, ioBound, ioRuns, 2, reportsDir, { TARGET_WAIT_MS: '300' }, 1);
    ctx.progress(`scaling, I/O-bound: case-phase speed-ups ${io.speedups.map((x) => x.toFixed(2)).join(', ')}; machine ${io.machines.map((x) => x.toFixed(2)).join(', ')}`);
    rows.push({
      figure: `4a. same, target waiting 300 ms on I/O first (the harness's own parallelism), ${ioRuns} cases × ${io.speedups.length} rounds`,
      value: `${io.cps1.toFixed(2)} → ${io.cps2.toFixed(2)} cases/s (whole call ${io.whole.toFixed(2)}×); bare spawns, 2 loops vs 1: ${io.machine.toFixed(2)}×`,
      ratio: io.speedup,
      ratioText: `${io.speedup.toFixed(2)}× (${io.relative.toFixed(2)} of the machine's own speed-up)`,
      target: '≥ 1.8×',
      met: io.speedup >= 1.8,
    });
  } finally {
    rmSync(reportsDir, { recursive: true, force: true });
  }
  return rows;
}

/**
 * Cost per case by schedule length, on the in-process module target. The
 * lengths are mixed case by case (a shuffled plan), so that whatever load the
 * machine has falls on every length alike. A case's cost is the CPU time
 * this process spent between its end and the previous case's end (one lane;
 * the module target, its upstream and the harness all run in this process),
 * which the load of other processes hardly changes; wall time is shown too.
 */
async function scheduleLength(ctx, reportsDir) {
  const { dist } = ctx;
  const moduleScenario = withInput(dist.loadScenario(path.join(FIXTURES, 'hold-module.yaml')), { timeoutMs: 2000 });
  const session = await dist.openRunSession(moduleScenario, { reportsDir });
  const lengths = [1, 2, 4, 8];
  const perCase = Object.fromEntries(lengths.map((k) => [k, []]));
  const wallPerCase = Object.fromEntries(lengths.map((k) => [k, []]));
  const perLength = ctx.quick ? 15 : 30;
  const rounds = 2;
  const endBy = performance.now() + Math.max(8_000, ctx.sectionLeft() * 0.25);
  let id = 0;
  try {
    for (let round = 0; round < rounds; round += 1) {
      if (round >= 1 && performance.now() > endBy) {
        ctx.note(`scaling: schedule length measured in ${round} of ${rounds} rounds (the section's time ran short)`);
        break;
      }
      const plan = shuffled(lengths.flatMap((k) => Array.from({ length: perLength }, () => k)), 101 + round);
      const planned = plan.map((k) => {
        id += 1;
        return {
          id: `length/${id}`,
          schedule: {
            operation: 'create-order',
            faults: Array.from({ length: k }, (_, i) => ({ upstream: 'payments', ordinal: i + 1, fault: FAULT_CYCLE[i] })),
            caller: { retries: k, key: 'same', replay: false, delayMs: 0 },
          },
        };
      });
      let last = performance.now();
      let lastCpu = process.cpuUsage();
      let index = 0;
      await session.runCases(planned, 'explore', {
        onCase: (result) => {
          const now = performance.now();
          const k = plan[index];
          index += 1;
          if (result.invocations !== k + 1) throw new Error(`schedule length ${k}: ${result.invocations} invocations, expected ${k + 1}`);
          const cpu = process.cpuUsage(lastCpu);
          perCase[k].push((cpu.user + cpu.system) / 1000);
          wallPerCase[k].push(now - last);
          last = now;
          lastCpu = process.cpuUsage();
        },
      });
    }
  } finally {
    await session.finish();
  }
  const t = Object.fromEntries(lengths.map((k) => [k, trimmedMean(perCase[k])]));
  const wall = Object.fromEntries(lengths.map((k) => [k, trimmedMean(wallPerCase[k])]));
  const low = (t[4] - t[1]) / 3;
  const high = (t[8] - t[4]) / 4;
  const fit = linearFit(lengths.map((k) => ({ x: k, y: t[k] })));
  return [
    {
      figure: `4b. cases/s by schedule length (module target; k faults = k failed invocations + 1; ${perCase[1].length} cases per k, mixed)`,
      value: lengths.map((k) => `k=${k}: ${(1000 / wall[k]).toFixed(0)}/s (${t[k].toFixed(2)} ms CPU)`).join(', '),
      ratio: fit.r2,
      ratioText: `CPU per case, linear fit r² ${fit.r2.toFixed(3)}, ${fit.slope.toFixed(2)} ms per fault`,
      target: 'info',
      met: null,
    },
    {
      figure: '4c. CPU cost per added fault, k 4→8 vs k 1→4',
      value: `${high.toFixed(2)} ms vs ${low.toFixed(2)} ms (wall: ${((wall[8] - wall[4]) / 4).toFixed(2)} vs ${((wall[4] - wall[1]) / 3).toFixed(2)} ms)`,
      ratio: high / low,
      ratioText: (high / low).toFixed(2),
      target: '≤ 1.25 (linear)',
      met: high / low <= 1.25,
    },
  ];
}
