// Figure 5: the ledger. Cases written as runCase writes them (one
// transaction: the case, its rows, the read-back the checks judge, the check
// results), side by side with the floor: the same rows into the same schema
// with plain positional INSERTs in one transaction per case and nothing else.
// Interleaved in chunks. Then the file size per 1,000 cases, synthetic and
// from the real explore runs of figure 1.
import path from 'node:path';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { median } from '../lib/stats.mjs';

/** recorder.finish (fingerprints every request and effect, memoised per body) on a case of 10 committed requests. */
function finishCost(dist) {
  const traits = new Map([['payments', { deduplicates: true, lookup: true, noun: 'charge', ignoreFields: [] }]]);
  const fill = (recorder) => {
    recorder.keys.add('rp-bench-1');
    for (let i = 0; i < 10; i += 1) {
      const row = recorder.startRequest({
        upstream: 'payments', ordinal: i + 1, method: 'POST', path: '/charges', route: 'POST /charges', idempotencyKey: 'rp-bench-1',
        body: '{"amount":100,"ref":"rp-bench-1","created":"2026-11-25T23:00:00.000Z"}', bodyFingerprint: '', fault: 'none', committed: true,
        outcome: 'committed', delivery: 'response', upstreamStatus: 201, clientStatus: 201,
      });
      recorder.addEffect({ upstream: 'payments', route: 'POST /charges', key: 'rp-bench-1', resourceId: `cha_${i}`, requestId: row.id, body: row.body });
    }
    return recorder;
  };
  const recorder = fill(new dist.CaseRecorder('finish/1', 'op'));
  const times = [];
  for (let round = 0; round < 6; round += 1) {
    const t = performance.now();
    for (let i = 0; i < 300; i += 1) recorder.finish(traits);
    times.push(((performance.now() - t) * 1000) / 300);
  }
  return median(times);
}

/** A typical explore case: an attempt that failed and its retry, 4 requests, 2 effects, 12 checks. */
function caseRows(caseId) {
  const key = `rp-${caseId.replace(/\W/g, '')}-1`;
  const body = JSON.stringify({ amount: 100, ref: key });
  const invocation = (id) => ({
    caseId, id, seq: id, role: 'attempt', key,
    argv: ['node', 'tiny-target.mjs', '--key', key, '--amount', '100'],
    exitCode: id === 1 ? 75 : 0, signal: null, killed: false, killReason: null,
    effect: id === 1 ? 'unknown' : 'created',
    stdoutJson: { key, effect: id === 1 ? 'unknown' : 'created', id: 'cha_1' },
    stdout: `${JSON.stringify({ key, effect: id === 1 ? 'unknown' : 'created', id: 'cha_1' })}\n`,
    stderr: '', outputTruncated: false, startedMs: 100 * id, durationMs: 60, targetKind: 'command',
    request: { argv: ['node', 'tiny-target.mjs'], input: { amount: 100 } },
  });
  const request = (id) => ({
    caseId, id, invocationId: id <= 2 ? 1 : 2, upstream: 'payments', ordinal: id, method: 'POST', path: '/charges',
    route: 'POST /charges', idempotencyKey: key, body, bodyFingerprint: 'payments POST /charges 0123456789abcdef',
    fault: id === 1 ? '503-after-commit' : 'none', committed: id !== 2, outcome: id === 2 ? 'replayed' : 'committed',
    delivery: 'response', upstreamStatus: 201, clientStatus: id === 1 ? 503 : 201, startedMs: 100 * id, endedMs: 100 * id + 2,
  });
  const effect = (id) => ({
    caseId, id, operation: 'create-order', upstream: 'payments', route: 'POST /charges', key, resourceId: `cha_${id}`,
    requestId: id, body, fingerprint: 'payments POST /charges 0123456789abcdef',
  });
  return {
    invocations: [invocation(1), invocation(2)],
    requests: [request(1), request(2), request(3), request(4)],
    effects: [effect(1), effect(2)],
  };
}

const CHECKS = Array.from({ length: 12 }, (_, i) => ({ check: `check-${i}`, status: 'pass', message: 'held', evidence: { requests: [1, 2] } }));

function writeWithLedger(ledger, ids) {
  for (const id of ids) {
    ledger.recordCase({ id, operation: 'create-order', kind: 'explore', scheduleJson: '{"operation":"create-order","faults":[{"upstream":"payments","ordinal":1,"fault":"503-after-commit"}],"caller":{"retries":2,"key":"same","replay":false,"delayMs":0}}' }, caseRows(id), () => CHECKS);
  }
}

/** The floor: the same tables (created by a Ledger), positional INSERTs, one transaction per case, no read-back. */
function floorWriter(file) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const insCase = db.prepare('INSERT INTO cases VALUES (?, ?, ?, ?)');
  const insInv = db.prepare('INSERT INTO invocations VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)');
  const insReq = db.prepare('INSERT INTO requests VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)');
  const insEff = db.prepare('INSERT INTO effects VALUES (?,?,?,?,?,?,?,?,?,?)');
  const insChk = db.prepare('INSERT INTO check_results VALUES (?,?,?,?,?)');
  const write = db.transaction((id, rows) => {
    insCase.run(id, 'create-order', 'explore', '{"operation":"create-order","faults":[{"upstream":"payments","ordinal":1,"fault":"503-after-commit"}],"caller":{"retries":2,"key":"same","replay":false,"delayMs":0}}');
    for (const r of rows.invocations) {
      insInv.run(r.caseId, r.id, r.seq, r.role, r.key, JSON.stringify(r.argv), r.exitCode, r.signal, 0, r.killReason, r.effect, JSON.stringify(r.stdoutJson), r.stdout, r.stderr, 0, r.startedMs, r.durationMs, r.targetKind, null, null, null, JSON.stringify(r.request));
    }
    for (const r of rows.requests) {
      insReq.run(r.caseId, r.id, r.invocationId, r.upstream, r.ordinal, r.method, r.path, r.route, r.idempotencyKey, r.body, r.bodyFingerprint, r.fault, r.committed ? 1 : 0, r.outcome, r.delivery, r.upstreamStatus, r.clientStatus, r.startedMs, r.endedMs);
    }
    for (const r of rows.effects) insEff.run(r.caseId, r.id, r.operation, r.upstream, r.route, r.key, r.resourceId, r.requestId, r.body, r.fingerprint);
    for (const c of CHECKS) insChk.run(id, c.check, c.status, c.message, JSON.stringify(c.evidence));
  });
  return { write: (ids) => ids.forEach((id) => write(id, caseRows(id))), close: () => db.close() };
}

export async function run(ctx) {
  const dir = mkdtempSync(path.join(ctx.tmp, 'ledger-'));
  const rows = [];
  try {
    const ledgerFile = path.join(dir, 'ledger.sqlite');
    const floorFile = path.join(dir, 'floor.sqlite');
    const ledger = new ctx.dist.Ledger(ledgerFile);
    new ctx.dist.Ledger(floorFile).close(); // the same schema, then written by the floor
    const floor = floorWriter(floorFile);
    const chunk = 250;
    const chunks = ctx.quick ? 4 : 8;
    const ledgerMs = [];
    const floorMs = [];
    let n = 0;
    for (let i = 0; i < chunks; i += 1) {
      const ids = Array.from({ length: chunk }, () => `explore/${(n += 1)}`);
      const sides = [
        () => {
          const t = performance.now();
          writeWithLedger(ledger, ids);
          ledgerMs.push((performance.now() - t) / chunk);
        },
        () => {
          const t = performance.now();
          floor.write(ids);
          floorMs.push((performance.now() - t) / chunk);
        },
      ];
      for (const side of i % 2 ? sides.reverse() : sides) side();
    }
    ledger.close();
    floor.close();
    const perCaseMs = median(ledgerMs);
    const ratio = median(ledgerMs.map((ms, i) => floorMs[i] / ms));
    const bytesPer1000 = (statSync(ledgerFile).size / n) * 1000;
    ctx.shared.ledgerPerCaseMs = perCaseMs;
    rows.push({
      figure: '5. ledger: request + effect rows/s, one transaction per case (2 inv, 4 req, 2 eff, 12 checks, read-back)',
      value: `${Math.round(6 / (perCaseMs / 1000)).toLocaleString('en-US')} req+eff rows/s; ${Math.round(1000 / perCaseMs).toLocaleString('en-US')} cases/s (${(perCaseMs * 1000).toFixed(0)} µs per case)`,
      ratio,
      ratioText: `${ratio.toFixed(2)} of the floor (plain INSERTs, same tx per case: ${(median(floorMs) * 1000).toFixed(0)} µs)`,
      target: 'info',
      met: null,
    });
    if (ctx.shared.medianCaseMs) {
      const share = perCaseMs / ctx.shared.medianCaseMs;
      rows.push({
        figure: '5a. ledger time per case / median case time of figure 1',
        value: `${(perCaseMs * 1000).toFixed(0)} µs of ${ctx.shared.medianCaseMs} ms`,
        ratio: share,
        ratioText: `${(100 * share).toFixed(2)} %`,
        target: '≤ 2 % (proposed)',
        met: share <= 0.02,
      });
    }
    // Figure 1's explore ledgers hold 11 cases each: take off what an empty ledger already weighs.
    const emptyFile = path.join(dir, 'empty.sqlite');
    new ctx.dist.Ledger(emptyFile).close();
    const empty = statSync(emptyFile).size;
    const real = ctx.shared.realLedger;
    const realPer1000 = real && real.cases > 0 ? ((real.bytes - real.files * empty) / real.cases) * 1000 : Number.NaN;
    rows.push({
      figure: '5b. ledger.sqlite size per 1,000 cases',
      value: `${(bytesPer1000 / 1e6).toFixed(2)} MB synthetic (above); ${Number.isFinite(realPer1000) ? `${(realPer1000 / 1e6).toFixed(2)} MB in figure 1's explore runs (${real.cases} cases in ${real.files} files, less ${(empty / 1024).toFixed(0)} KiB of an empty ledger each)` : 'figure 1 not run'}`,
      ratio: bytesPer1000 / 1e6,
      ratioText: `${(bytesPer1000 / 1000 / 1024).toFixed(2)} KiB per case`,
      target: '≤ 10 MB (proposed)',
      met: bytesPer1000 <= 10e6,
    });
    const finishUs = finishCost(ctx.dist);
    rows.push({
      figure: '5c. recorder.finish, case of 10 requests + 10 effects (fingerprints memoised per body) / ledger time per case of figure 5',
      value: `${finishUs.toFixed(0)} µs per case`,
      ratio: finishUs / (perCaseMs * 1000),
      ratioText: `${((100 * finishUs) / (perCaseMs * 1000)).toFixed(1)} % of a case's ledger write`,
      target: 'info',
      met: null,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
