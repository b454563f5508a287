// The settle window's cost: the wall time it adds to a case whose target has
// gone quiet (answered, nothing more to send), in a run of cases. Each target
// kind runs the same fault-free case (an attempt and a replay), a batch at a time
// through runCases as explore and the systematic pass do, in two sessions side
// by side, interleaved: with the default window (settle.quietMs by kind: http
// 100, module 25, command 0) and with the window off (quietMs 0, maxMs 0, what
// the harness did before it). Goal: ≤ 50 ms added per case. The http API is
// started once (restart: never), so the case time is the harness's and the
// API's, not a process start. It sends the caller's key upstream, so each
// case's window stays open while the next case runs (src/runner/overlap.ts);
// the same API sending no key upstream cannot overlap (its first pair of cases
// runs again on its own, then each window is waited out) and is reported
// beside it, unjudged.
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { median } from '../lib/stats.mjs';
import { FIXTURES } from './overhead.mjs';

/**
 * Cases per runCases call: a run's cases follow one another on the lane, as
 * explore's and the systematic pass's do. The run's last window is waited out
 * whatever overlaps (a run ends when its last case has settled): http runs of
 * 10 cases carry a tenth of it each, as a short explore run would (200 cases:
 * a two-hundredth). Commands and modules settle each case before the next, so
 * their batch size changes nothing but the section's length.
 */
const BATCH = { http: 10, other: 3 };

const schedule = { operation: 'create-order', faults: [], caller: { retries: 0, key: 'same', replay: true, delayMs: 0 } };

/** The http variant of the command fixture: the same upstream and case, served by quiet-api.mjs. */
function httpScenario(dist, dir, forwardKey = true) {
  const file = path.join(dir, `settle-http${forwardKey ? '' : '-keyless'}.yaml`);
  writeFileSync(
    file,
    [
      `name: bench-settle-http${forwardKey ? '' : '-keyless'}`,
      'target:',
      '  kind: http',
      '  start:',
      `    argv: [node, ${JSON.stringify(path.join(FIXTURES, 'quiet-api.mjs'))}]`,
      `    env: { PAYMENTS_URL: "{{upstreams.payments.url}}", FORWARD_KEY: "${forwardKey ? 1 : 0}" }`,
      '    restart: never',
      'upstreams:',
      '  payments: { model: resource, path: /charges, honoursIdempotencyKey: true, noun: charge }',
      'operations:',
      '  - name: create-order',
      '    request: { method: POST, path: /orders, body: { amount: 100 } }',
      'probes: { mismatch: false, concurrent: false, dryRun: false, missingKey: false, persistent: false }',
      '',
    ].join('\n'),
  );
  return dist.loadScenario(file);
}

export async function run(ctx) {
  const { dist } = ctx;
  const reportsDir = mkdtempSync(path.join(ctx.tmp, 'settle-'));
  const kinds = {
    http: httpScenario(dist, reportsDir),
    'http (no key upstream)': httpScenario(dist, reportsDir, false),
    module: dist.loadScenario(path.join(FIXTURES, 'hold-module.yaml')),
    command: dist.loadScenario(path.join(FIXTURES, 'none-only.yaml')),
  };
  const sessions = [];
  const rows = [];
  try {
    const lanes = {};
    for (const [kind, scenario] of Object.entries(kinds)) {
      const withWindow = await dist.openRunSession(scenario, { reportsDir });
      sessions.push(withWindow);
      const without = await dist.openRunSession({ ...scenario, name: `${scenario.name}-off`, settle: { quietMs: 0, maxMs: 0 } }, { reportsDir });
      sessions.push(without);
      lanes[kind] = { with: withWindow, without, walls: { with: [], without: [] }, settled: [] };
    }
    const rounds = ctx.quick ? 3 : 6;
    let n = 0;
    for (let round = 0; round < rounds; round += 1) {
      if (round >= 3 && ctx.sectionLeft() < 5_000) {
        ctx.note(`settle: ${round} of ${rounds} rounds (the section's time ran short)`);
        break;
      }
      for (const [kind, lane] of Object.entries(lanes)) {
        const size = kind.startsWith('http') ? BATCH.http : BATCH.other;
        // Alternate which variant goes first, so neither always follows the other.
        for (const variant of round % 2 ? ['without', 'with'] : ['with', 'without']) {
          const batch = Array.from({ length: size }, () => ({ id: `settle/${(n += 1)}`, schedule }));
          const started = performance.now();
          await lane[variant].runCases(batch, 'explore');
          lane.walls[variant].push((performance.now() - started) / size);
        }
      }
    }
    for (const [kind, lane] of Object.entries(lanes)) {
      const withMs = median(lane.walls.with);
      const withoutMs = median(lane.walls.without);
      const added = withMs - withoutMs;
      const quietMs = dist.settleSettings ? dist.settleSettings(kinds[kind]).quietMs : { http: 100, module: 25, command: 0 }[kind];
      const judged = kind !== 'http (no key upstream)';
      const overlap = lane.with.settleOverlap?.();
      const size = kind.startsWith('http') ? BATCH.http : BATCH.other;
      const how = kind.startsWith('http') && overlap ? `; windows overlapping the next case: ${overlap.handedOver} of ${lane.walls.with.length * size}${overlap.stopped ? ', stopped by a conflict' : ''}` : '';
      rows.push({
        figure: `6. settle window, ${kind} target gone quiet (quietMs ${quietMs}): added wall per case`,
        value: `${added >= 0 ? '+' : ''}${added.toFixed(0)} ms (case ${withMs.toFixed(0)} ms with the window, ${withoutMs.toFixed(0)} ms without; ${lane.walls.with.length} runs of ${size} cases each${how})`,
        ratio: withMs / withoutMs,
        ratioText: `${(withMs / withoutMs).toFixed(2)}× case time`,
        target: judged ? '≤ 50 ms' : 'reported (cannot overlap)',
        met: judged ? added <= 50 : null,
      });
    }
  } finally {
    for (const session of sessions) await session.finish().catch(() => session.abort());
    rmSync(reportsDir, { recursive: true, force: true });
  }
  return rows;
}
