// Figure 3: hold accuracy. A timeout-after-commit case whose client gives up
// after T: the upstream commits, holds the connection, and answers the
// client's close, so the case lasts about T (the scenario's hold limit is
// 10 s: an upstream that slept would make it 10 s). Measured on an in-process
// module target (no process start in the way: wall ≤ T + 50 ms), and on the
// command target as the difference with the same case without the fault.
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { median } from '../lib/stats.mjs';
import { FIXTURES } from './overhead.mjs';

const withTimeout = (scenario, timeoutMs) => ({
  ...scenario,
  operations: scenario.operations.map((op) => ({ ...op, input: { ...op.input, timeoutMs } })),
});

const schedule = (faulted) => ({
  operation: 'create-order',
  faults: faulted ? [{ upstream: 'payments', ordinal: 1, fault: 'timeout-after-commit' }] : [],
  caller: { retries: 0, key: 'same', replay: false, delayMs: 0 },
});

/**
 * Watches the pipelines of this process (the bench's own copy of dist): when
 * each request arrived, when its delivery was recorded, and when its case
 * ended. Restored by the returned function.
 */
function instrument(UpstreamPipeline) {
  const proto = UpstreamPipeline.prototype;
  // handleRaw: requests over the loopback server; handle: in-process (msw) requests.
  const { handle, handleRaw, endCase } = proto;
  const log = { requests: [], caseEnded: Number.NaN };
  const watched = (original) =>
    async function instrumented(request) {
      const entry = { arrived: performance.now(), delivered: Number.NaN, delivery: null };
      log.requests.push(entry);
      const result = await original.call(this, request);
      const delivered = result.delivered;
      result.delivered = (delivery, status) => {
        entry.delivered = performance.now();
        entry.delivery = delivery;
        delivered(delivery, status);
      };
      return result;
    };
  proto.handle = watched(handle);
  proto.handleRaw = watched(handleRaw);
  proto.endCase = function instrumentedEndCase() {
    log.caseEnded = performance.now();
    return endCase.call(this);
  };
  return {
    log,
    restore: () => {
      proto.handle = handle;
      proto.handleRaw = handleRaw;
      proto.endCase = endCase;
    },
  };
}

export async function run(ctx) {
  const { dist } = ctx;
  const watch = instrument(dist.UpstreamPipeline);
  const reportsDir = mkdtempSync(path.join(ctx.tmp, 'hold-'));
  const moduleBase = dist.loadScenario(path.join(FIXTURES, 'hold-module.yaml'));
  const commandBase = dist.loadScenario(path.join(FIXTURES, 'none-only.yaml'));
  const timeouts = [200, 1000];
  const reps = ctx.quick ? 3 : 4;
  const sessions = [];
  const rows = [];
  try {
    const open = async (scenario) => {
      const session = await dist.openRunSession(scenario, { reportsDir });
      sessions.push(session);
      return session;
    };
    const lanes = {};
    for (const T of timeouts) {
      lanes[T] = { module: await open(withTimeout(moduleBase, T)), command: await open(withTimeout(commandBase, T)) };
    }
    const data = Object.fromEntries(timeouts.map((T) => [T, { moduleWall: [], held: [], late: [], missing: 0, commandExtra: [], commandHeld: [] }]));
    let n = 0;
    const timed = async (session, faulted) => {
      n += 1;
      const id = `hold/${n}`;
      const started = performance.now();
      const result = await session.runOne({ id, schedule: schedule(faulted) }, 'explore');
      const wall = performance.now() - started;
      const request = session.ledger.readCase(id).requests[0];
      return { wall, result, request };
    };
    for (let rep = 0; rep < reps; rep += 1) {
      if (rep >= 2 && ctx.sectionLeft() < 5_000) {
        ctx.note(`hold: ${rep} of ${reps} repetitions (the section's time ran short)`);
        break;
      }
      for (const T of rep % 2 ? [...timeouts].reverse() : timeouts) {
        watch.log.requests = [];
        const m = await timed(lanes[T].module, true);
        data[T].moduleWall.push(m.wall);
        // The ledger row of the held request, and when its delivery really came (up to 500 ms later).
        const entry = watch.log.requests[0];
        const caseEnded = watch.log.caseEnded;
        for (let waited = 0; entry && Number.isNaN(entry.delivered) && waited < 500; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
        if (m.request?.delivery !== 'held') data[T].missing += 1;
        if (entry && !Number.isNaN(entry.delivered)) {
          data[T].held.push(entry.delivered - entry.arrived);
          data[T].late.push(entry.delivered - caseEnded);
        }
        const clean = await timed(lanes[T].command, false);
        const faulted = await timed(lanes[T].command, true);
        data[T].commandExtra.push(faulted.wall - clean.wall);
        if (faulted.request?.delivery === 'held') data[T].commandHeld.push(faulted.request.endedMs - faulted.request.startedMs);
      }
    }
    for (const T of timeouts) {
      const wall = median(data[T].moduleWall);
      const held = median(data[T].held);
      const extra = median(data[T].commandExtra);
      const late = median(data[T].late);
      rows.push({
        figure: `3. hold: timeout-after-commit case, client timeout T=${T} ms (module target), case wall`,
        value: `${wall.toFixed(0)} ms (upstream saw the close after ${held.toFixed(0)} ms; hold limit 10 s)`,
        ratio: wall / T,
        ratioText: `${(wall / T).toFixed(3)} × T`,
        target: `≤ T + 50 ms (${T + 50})`,
        met: wall <= T + 50,
      });
      rows.push({
        figure: `3a. module target, T=${T} ms: held request's delivery in the ledger`,
        value: `missing in ${data[T].missing}/${data[T].moduleWall.length} cases (the delivery was recorded ${Math.abs(late).toFixed(1)} ms ${late < 0 ? 'before' : 'after'} the case ended)`,
        ratio: data[T].missing / data[T].moduleWall.length,
        ratioText: `${data[T].missing}/${data[T].moduleWall.length}`,
        target: '0 missing',
        met: data[T].missing === 0,
      });
      rows.push({
        figure: `3b. hold, command target, T=${T} ms: faulted case − same case without fault`,
        value: `${extra.toFixed(0)} ms (ledger: held ${median(data[T].commandHeld).toFixed(0)} ms)`,
        ratio: extra / T,
        ratioText: `${(extra / T).toFixed(3)} × T`,
        target: `≤ T + 50 ms (${T + 50})`,
        met: extra <= T + 50,
      });
    }
  } finally {
    watch.restore();
    for (const session of sessions) await session.finish().catch(() => session.abort());
    rmSync(reportsDir, { recursive: true, force: true });
  }
  return rows;
}
