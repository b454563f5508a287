// Figure 2: upstream throughput. Each server variant runs alone in its own
// process; autocannon (in this process) drives POST /charges with 10
// connections for the same duration, variants interleaved round by round
// (the order rotates), medians of per-round ratios. Then 1 connection for the
// latency each variant adds over bare node:http. Then a CPU profile of the
// retryproof upstream says where its time goes.
//
// retryproof is src itself (dist/): the resource model behind the loopback
// server, whose fast routes serve it without msw. Before the load, the
// equivalence check (lib/equivalence.mjs) confirms that those routes give the
// same answers and ledger rows as msw alone; figure 2 is met only if they do.
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { cpuMs } from '../lib/cpu.mjs';
import { checkEquivalence } from '../lib/equivalence.mjs';
import { startMountebank } from '../lib/mountebank.mjs';
import { inclusiveShares, loadProfile } from '../lib/profile.mjs';
import { jsonLines, spawnTracked, stopChild } from '../lib/procs.mjs';
import { median, rotate } from '../lib/stats.mjs';

const SERVER = new URL('../lib/upstream-server.mjs', import.meta.url).pathname;
const BODY = JSON.stringify({ amount: 100, ref: 'bench' });

async function startServer(variant, nodeArgs = [], serverArgs = []) {
  const child = spawnTracked(process.execPath, [...nodeArgs, SERVER, variant, ...serverArgs], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = jsonLines(child);
  const { url } = await lines.next(20_000, `the ${variant} server's address`);
  return {
    url,
    pid: child.pid,
    async close() {
      child.stdin.end();
      const stats = await lines.next(20_000, `the ${variant} server's stats`).catch(() => null);
      await stopChild(child);
      return stats;
    },
  };
}

/**
 * One bounded autocannon run against `server`; returns requests/s, the mean
 * time per request (closed loop: with 1 connection, the latency), and the
 * server process's CPU time per request.
 */
async function drive(server, connections, seconds) {
  const url = server.url;
  const cpuBefore = cpuMs(server.pid);
  const run = autocannon({
    url: `${url}/charges`,
    method: 'POST',
    body: BODY,
    headers: { 'content-type': 'application/json' },
    connections,
    duration: seconds,
  });
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => {
      run.stop?.();
      reject(new Error(`autocannon did not finish ${seconds} s run against ${url}`));
    }, (seconds + 15) * 1000);
  });
  try {
    const result = await Promise.race([run, guard]);
    if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
      throw new Error(`load against ${url}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`);
    }
    const requests = result.requests.total;
    return {
      rps: requests / result.duration,
      msPerRequest: (result.duration * 1000 * connections) / requests,
      cpuUsPerRequest: ((cpuMs(server.pid) - cpuBefore) * 1000) / requests,
    };
  } finally {
    clearTimeout(timer);
  }
}

const VARIANTS = {
  bare: 'bare node:http (floor)',
  mountebank: 'mountebank, default logging',
  'mountebank-quiet': 'mountebank, --loglevel warn',
  retryproof: 'retryproof (src)',
  'retryproof-serving': 'retryproof, no ledger flush',
};

export async function run(ctx) {
  const rows = [];
  const equivalence = await checkEquivalence(new URL('../../../dist/', import.meta.url));
  if (!equivalence.equivalent) ctx.note(`the built-in models' fast routes are NOT equivalent to their msw handlers: ${equivalence.detail}`);
  ctx.shared.equivalence = equivalence;

  const variants = Object.keys(VARIANTS);
  const servers = {};
  const sample = JSON.parse(BODY);
  const answer = { ...sample, id: 'cha_1', idempotencyKey: null, created: new Date().toISOString() };
  const logDir = mkdtempSync(path.join(ctx.tmp, 'mb-'));
  try {
    servers.bare = await startServer('bare');
    servers.retryproof = await startServer('retryproof');
    servers['retryproof-serving'] = await startServer('retryproof', [], ['--no-ledger']);
    servers.mountebank = await startMountebank(answer, { logDir });
    servers['mountebank-quiet'] = await startMountebank(answer, { quiet: true });

    const seconds = ctx.quick ? 1.5 : 2;
    const rounds = ctx.quick ? 2 : 3;
    for (const variant of variants) await drive(servers[variant], 10, 0.5); // warm-up (JIT, connections)
    const loaded = Object.fromEntries(variants.map((v) => [v, []]));
    // Another round only if it leaves time for the latency runs, the profile and closing (about 13 s).
    const roundMs = variants.length * (seconds + 0.3) * 1000;
    for (let round = 0; round < rounds; round += 1) {
      if (round >= 2 && ctx.sectionLeft() < roundMs + 13_000) {
        ctx.note(`throughput: ${round} rounds of ${rounds} (the section's time ran short)`);
        break;
      }
      for (const variant of rotate(variants, round)) loaded[variant].push(await drive(servers[variant], 10, seconds));
      ctx.progress(`throughput round ${round + 1}/${rounds}: ${variants.map((v) => `${v} ${Math.round(loaded[v][round].rps)}/s ${Math.round(loaded[v][round].cpuUsPerRequest)} µs`).join(', ')}`);
    }
    const latencyVariants = ['bare', 'mountebank', 'retryproof'];
    const single = Object.fromEntries(latencyVariants.map((v) => [v, []]));
    for (let round = 0; round < 2; round += 1) {
      for (const variant of rotate(latencyVariants, round + 1)) single[variant].push(await drive(servers[variant], 1, 0.75));
    }

    // Every ratio is taken within a round (side by side), then the median over rounds.
    const rpsRatio = (a, b) => median(loaded[a].map((m, i) => m.rps / loaded[b][i].rps));
    const cpuRatio = (a, b) => median(loaded[a].map((m, i) => loaded[b][i].cpuUsPerRequest / m.cpuUsPerRequest)); // capacity of a over b
    const rps = (v) => Math.round(median(loaded[v].map((m) => m.rps)));
    const cpu = (v) => Math.round(median(loaded[v].map((m) => m.cpuUsPerRequest)));
    const added = (v) => Math.round(1000 * median(single[v].map((m, i) => m.msPerRequest - single.bare[i].msPerRequest)));
    const versus = (a, b, figure, target = true) => {
      const r = rpsRatio(a, b);
      const c = cpuRatio(a, b);
      return {
        figure,
        value: `${rps(a)}/s vs ${rps(b)}/s; server CPU ${cpu(a)} vs ${cpu(b)} µs/req`,
        ratio: r,
        ratioText: `${r.toFixed(2)} req/s (by CPU/req: ${c.toFixed(2)})`,
        target: target ? '≥ 1.5' : 'info',
        met: target ? r >= 1.5 && equivalence.equivalent : null,
      };
    };
    rows.push(
      versus('retryproof', 'mountebank', `2. upstream, 10 conns, cases of 10 requests: retryproof (fast routes + recorder + ledger; same answers and rows as msw: ${equivalence.equivalent ? 'yes' : 'NO'}) / mountebank (default logging)`),
      versus('retryproof', 'mountebank-quiet', '2a. retryproof / mountebank with per-request logging off'),
      {
        figure: '2b. floor: bare node:http; retryproof / bare (mountebank / bare)',
        value: `${rps('bare')}/s; server CPU ${cpu('bare')} µs/req`,
        ratio: rpsRatio('retryproof', 'bare'),
        ratioText: `${rpsRatio('retryproof', 'bare').toFixed(3)} (${rpsRatio('mountebank', 'bare').toFixed(3)})`,
        target: 'info',
        met: null,
      },
      {
        figure: '2c. time added per request over bare node:http, 1 connection',
        value: `retryproof +${added('retryproof')} µs; mountebank +${added('mountebank')} µs (bare round trip ${Math.round(1000 * median(single.bare.map((m) => m.msPerRequest)))} µs)`,
        ratio: added('retryproof') / Math.max(1, added('mountebank')),
        ratioText: `retryproof adds ${(added('retryproof') / Math.max(1, added('mountebank'))).toFixed(2)} of mountebank's`,
        target: 'info',
        met: null,
      },
      {
        ...versus('retryproof-serving', 'mountebank-quiet', '2d. retryproof serving alone (rows recorded, no ledger flush) / mountebank, logging off', false),
        value: `${rps('retryproof-serving')}/s, ${cpu('retryproof-serving')} µs/req; the per-case ledger flush (recorder.finish + recordCase, every 10 requests) is ${Math.round(100 * (1 - cpu('retryproof-serving') / cpu('retryproof')))} % of retryproof's CPU`,
      },
    );
  } finally {
    for (const variant of variants) {
      const stats = await servers[variant]?.close().catch(() => null);
      if (variant === 'retryproof' && stats) ctx.shared.throughputLedger = stats;
    }
  }

  // Where the upstream's time goes: a profiled server under the same load.
  if (ctx.sectionLeft() > 5_000) {
    const dir = mkdtempSync(path.join(ctx.tmp, 'prof-'));
    try {
      const server = await startServer('retryproof', ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
      try {
        await drive(server, 10, 2);
      } finally {
        await server.close();
      }
      const inDist = (file) => (frame) => frame.url.includes(`/dist/${file}`);
      const shares = inclusiveShares(loadProfile(dir), [
        { name: 'pipeline.handleRaw (counting, faults, rows, the model\'s fast route)', match: (f) => f.functionName === 'handleRaw' && inDist('upstream/pipeline.js')(f) },
        { name: 'msw getResponse (routes the fast matcher leaves to msw)', match: (f) => f.functionName === 'getResponse' && f.url.includes('msw') },
        { name: 'WHATWG Request/Response objects and body streams (undici, webstreams)', match: (f) => /undici|webstreams|internal\/blob/.test(f.url) },
        { name: 'case flush: recorder.finish + ledger.recordCase', match: (f) => (f.functionName === 'recordCase' && inDist('ledger/ledger.js')(f)) || (f.functionName === 'finish' && inDist('runner/recorder.js')(f)) },
        { name: 'socket writes (writev syscalls)', match: (f) => f.functionName === 'writev' },
        { name: 'garbage collector', match: (f) => f.functionName === '(garbage collector)' },
      ]);
      ctx.shared.profile = shares;
      ctx.progress(`profile of the upstream: ${shares.map((s) => `${s.name} ${(100 * s.share).toFixed(0)}%`).join('; ')}`);
    } catch (error) {
      ctx.note(`profile skipped: ${error.message}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}
