#!/usr/bin/env node
// One upstream variant for the throughput figure, alone in its own process so
// that the load generator (in the parent) and the server do not share a thread.
//   node upstream-server.mjs bare|retryproof [--case-size N] [--no-ledger]
// --no-ledger: cases still rotate every N requests, but their rows are
// dropped instead of fingerprinted and written (the serving path alone).
// Listens on 127.0.0.1 (a free port), prints {"url": ...} on stdout, serves
// until stdin closes or SIGTERM, then closes everything and prints
// {"requests": N, "cases": N, "ledgerBytes": N} on stdout.
import { startBareServer } from './bare-server.mjs';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const variant = process.argv[2];
const caseSizeArg = process.argv.indexOf('--case-size');
const CASE_SIZE = caseSizeArg > 0 ? Number(process.argv[caseSizeArg + 1]) : 10;
const NO_LEDGER = process.argv.includes('--no-ledger');

async function startBare() {
  const server = await startBareServer();
  return { url: server.url, stats: () => ({ requests: server.requests(), cases: 0, ledgerBytes: 0 }), close: server.close };
}

/**
 * The retryproof upstream as a run uses it: the resource model in an
 * UpstreamPipeline behind the loopback server, every request recorded by a
 * CaseRecorder, and every CASE_SIZE requests the case is closed: its rows are
 * fingerprinted and written into the Ledger in one transaction (as runCase
 * does, without the checks, which are not the upstream's cost).
 */
async function startRetryproof() {
  const dist = new URL('../../../dist/', import.meta.url);
  const { startLoopbackServer } = await import(new URL('upstream/loopback-server.js', dist).href);
  const { resourceModel } = await import(new URL('upstream/models/resource.js', dist).href);
  const { CaseRecorder } = await import(new URL('runner/recorder.js', dist).href);
  const { Ledger } = await import(new URL('ledger/ledger.js', dist).href);
  const { UpstreamPipeline } = await import(new URL('upstream/pipeline.js', dist).href);
  const options = { path: '/charges', honoursIdempotencyKey: false, clientRefField: 'ref', noun: 'charge', ignoreFields: [] };
  const model = resourceModel(options);
  const pipeline = new UpstreamPipeline('payments', model);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-bench-upstream-'));
  const ledgerFile = path.join(dir, 'ledger.sqlite');
  const ledger = new Ledger(ledgerFile);
  const traits = new Map([['payments', model.traits]]);
  let caseNumber = 0;
  let inCase = 0;
  let requests = 0;
  let recorder;
  const begin = () => {
    caseNumber += 1;
    inCase = 0;
    recorder = new CaseRecorder(`bench/${caseNumber}`, 'create-order');
    pipeline.beginCase({ faults: [], recorder, crashTarget: () => undefined });
  };
  const flush = () => {
    pipeline.endCase();
    if (NO_LEDGER) return;
    const rows = recorder.finish(traits);
    const schedule = { operation: 'create-order', faults: [], caller: { retries: 0, key: 'same', replay: false, delayMs: 0 } };
    ledger.recordCase({ id: recorder.caseId, operation: 'create-order', kind: 'explore', scheduleJson: JSON.stringify(schedule) }, rows, () => []);
  };
  begin();
  // Count requests at the pipeline (the loopback server's entry point): every CASE_SIZE, close the case and open the next.
  const handle = pipeline.handleRaw.bind(pipeline);
  pipeline.handleRaw = async (request) => {
    const result = await handle(request);
    requests += 1;
    inCase += 1;
    if (inCase >= CASE_SIZE) {
      flush();
      begin();
    }
    return result;
  };
  const server = await startLoopbackServer(pipeline, { holdLimitMs: 10_000 });
  return {
    url: server.url,
    stats: () => ({ requests, cases: caseNumber - 1, ledgerBytes: statSync(ledgerFile).size }),
    close: async () => {
      await server.close();
      flush();
      ledger.close();
      const stats = { requests, cases: caseNumber, ledgerBytes: statSync(ledgerFile).size };
      rmSync(dir, { recursive: true, force: true });
      return stats;
    },
  };
}

const running = variant === 'bare' ? await startBare() : variant === 'retryproof' ? await startRetryproof() : null;
if (!running) {
  process.stderr.write(`upstream-server: unknown variant ${variant}\n`);
  process.exit(2);
}
process.stdout.write(`${JSON.stringify({ url: running.url })}\n`);

let closing = false;
const shutdown = async () => {
  if (closing) return;
  closing = true;
  const stats = (await running.close()) ?? running.stats();
  process.stdout.write(`${JSON.stringify(stats)}\n`);
  process.exit(0);
};
process.stdin.on('end', shutdown);
process.stdin.on('close', shutdown);
process.stdin.resume();
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// A bound on its life whatever the parent does.
setTimeout(shutdown, Number(process.env.BENCH_SERVER_MAX_MS ?? 600_000)).unref();
