// Is the fast path a drop-in replacement for msw? The same scripted requests,
// with faults, go to each built-in model twice: as the harness serves it (its
// fast routes, over handleRaw) and with its fast routes taken away (every
// request through its msw handlers, the path of users' own upstreams). What
// the client receives (status, headers in wire order, body) and the rows the
// recorder keeps must be the same, apart from timestamps. The script holds
// canonical requests (fast routes) and the forms the fast matcher leaves to
// msw (other case, encoded characters, prefixes), for every model.
//
// `checkEquivalence(distUrl, referenceUrl)` compares two builds instead (e.g.
// a copy of dist/ from before a change): each serves its models as it does.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

const SCRIPT = [
  { method: 'POST', path: '/charges', body: '{"amount":1,"ref":"a"}' },
  { method: 'POST', path: '/charges', key: 'k1', body: '{"amount":2}' },
  { method: 'POST', path: '/charges', key: 'k1', body: '{"amount":2}' },
  { method: 'POST', path: '/charges', key: 'k1', body: '{"amount":3}' },
  { method: 'POST', path: '/charges', key: 'k1', body: '{ "amount" : 2 }' },
  { method: 'GET', path: '/charges?ref=a' },
  { method: 'GET', path: '/charges?ref=k1' },
  { method: 'GET', path: '/charges/cha_1' },
  { method: 'GET', path: '/charges/cha_99' },
  { method: 'POST', path: '/charges', body: 'not json' },
  { method: 'POST', path: '/charges', body: '[1,2]' },
  { method: 'GET', path: '/other' },
  { method: 'POST', path: '/CHARGES', body: '{"amount":4}' },
  { method: 'POST', path: '/charges/', body: '{"amount":5}' },
  { method: 'GET', path: '/charges/cha_2/' },
  { method: 'POST', path: '/v1/charges', body: '{"amount":6}' },
  { method: 'GET', path: '/charges/charges' },
  { method: 'GET', path: '/charges/CHARGES' },
  { method: 'GET', path: '/charges/%63ha_1' },
  { method: 'GET', path: '/charges/cha_1/x' },
  { method: 'HEAD', path: '/charges' },
  { method: 'PUT', path: '/charges', body: '{}' },
  { method: 'DELETE', path: '/charges/cha_1' },
  { method: 'POST', path: '/charges', key: '"quoted"', body: '{"amount":7}' },
  { method: 'POST', path: '/charges', key: ' spaced ', body: '{"amount":8}' },
  { method: 'POST', path: '/charges', body: '' },
  { method: 'POST', path: '/charges', body: '\uFEFF{"amount":9,"name":"é"}' },
  { method: 'POST', path: '/charges', body: '{"__proto__":{"admin":true},"2":"two","id":"mine","amount":10}' },
  { method: 'GET', path: '/charges' },
  { method: 'POST', path: '/messages', body: '{"to":"alice@example.com"}' },
  { method: 'POST', path: '/messages', body: 'plain text' },
  { method: 'POST', path: '/messages', body: '' },
  { method: 'POST', path: '/Messages', body: '{"to":"bob"}' },
  { method: 'GET', path: '/messages' },
  { method: 'POST', path: '/counter', body: '' },
  { method: 'POST', path: '/counter', body: '{"by":5}' },
  { method: 'POST', path: '/counter', body: '{"by":1.5}' },
  { method: 'POST', path: '/counter', body: '[]' },
  { method: 'POST', path: '/counter', body: 'nope' },
  { method: 'GET', path: '/counter' },
  { method: 'GET', path: '/counter/' },
  { method: 'PUT', path: '/deployment', body: '{"version":"v2"}' },
  { method: 'PUT', path: '/deployment', body: '{"version":"v2"}' },
  { method: 'PUT', path: '/deployment', body: '{"version":3}' },
  { method: 'PUT', path: '/deployment', body: '{}' },
  { method: 'PUT', path: '/deployment', body: '' },
  { method: 'GET', path: '/deployment' },
  { method: 'POST', path: '/deployment', body: '{"version":"v4"}' },
];

const FAULTS = [
  { ordinal: 3, fault: '503-after-commit' },
  { ordinal: 6, fault: 'truncate-after-commit', params: { truncateBytes: 5 } },
  { ordinal: 9, fault: 'reset-before-commit' },
  { ordinal: 12, fault: '429-retry-after', params: { retryAfterSeconds: 1 } },
  { ordinal: 16, fault: 'reset-after-commit' },
  { ordinal: 21, fault: '500-after-commit' },
  { ordinal: 28, fault: 'slow', params: { delayMs: 5 } },
  { ordinal: 33, fault: '503-after-commit' },
  { ordinal: 34, fault: 'truncate-after-commit', params: { truncateBytes: 3 } },
  { ordinal: 40, fault: '500-after-commit' },
  { ordinal: 41, fault: 'permanent-error', params: { status: 409 } },
];

const SPECS = [
  { model: 'resource', path: '/charges', honoursIdempotencyKey: true, clientRefField: 'ref', noun: 'charge', ignoreFields: [] },
  { model: 'resource', path: '/charges', honoursIdempotencyKey: false, clientRefField: 'ref', noun: 'charge', ignoreFields: [] },
  { model: 'mailer', path: '/messages', noun: 'email', ignoreFields: [] },
  { model: 'counter', path: '/counter', noun: 'increment', ignoreFields: [] },
  { model: 'deployer', path: '/deployment', noun: 'deploy', ignoreFields: [], initialVersion: 'v1' },
];

function send(url, step) {
  return new Promise((resolve) => {
    const headers = {};
    if (step.body !== undefined) headers['content-type'] = 'application/json';
    if (step.key) headers['idempotency-key'] = step.key;
    const request = http.request(`${url}${step.path}`, { method: step.method, headers, agent: false, timeout: 2_000 }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      const done = (error) => {
        // Every header but the clock's, in the order they came on the wire.
        const headerLines = [];
        for (let i = 0; i < response.rawHeaders.length; i += 2) {
          if (response.rawHeaders[i].toLowerCase() !== 'date') headerLines.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
        }
        resolve({ status: response.statusCode, statusMessage: response.statusMessage, headerLines, body: Buffer.concat(chunks).toString('utf8'), error: error ?? null });
      };
      response.on('end', () => done());
      response.on('error', (error) => done(error.code ?? String(error)));
      response.on('aborted', () => done('aborted'));
    });
    request.on('timeout', () => request.destroy(new Error('client timeout')));
    request.on('error', (error) => resolve({ error: error.code ?? error.message }));
    request.end(step.body);
  });
}

const scrub = (value) => JSON.parse(JSON.stringify(value).replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, '<time>'));

async function loadBuild(distUrl) {
  const load = (file) => import(new URL(file, distUrl).href);
  const [pipeline, loopback, recorder, models, ledger] = await Promise.all([
    load('upstream/pipeline.js'),
    load('upstream/loopback-server.js'),
    load('runner/recorder.js'),
    load('upstream/models/index.js'),
    load('ledger/ledger.js'),
  ]);
  return {
    UpstreamPipeline: pipeline.UpstreamPipeline,
    startLoopbackServer: loopback.startLoopbackServer,
    CaseRecorder: recorder.CaseRecorder,
    createModel: models.createModel,
    Ledger: ledger.Ledger,
  };
}

/** An invocation row with every field set, so the ledger's invocation columns are compared too. */
const INVOCATION = {
  caseId: 'eq/loopback', id: 1, seq: 1, role: 'attempt', key: 'k1', argv: ['node', 'tool.mjs', '--key', 'k1'], exitCode: 0, signal: null,
  killed: false, killReason: null, effect: 'created', stdoutJson: { ok: true }, stdout: '{"ok":true}\n', stderr: '', outputTruncated: false,
  startedMs: 0, durationMs: 12, targetKind: 'command', httpStatus: null, responseHeaders: null, error: null, request: undefined,
};

/** The case as SQLite holds it: every column of every table, the clock's columns blanked. */
function ledgerRows(build, rows) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-equivalence-'));
  try {
    const file = path.join(dir, 'ledger.sqlite');
    const ledger = new build.Ledger(file);
    ledger.recordCase({ id: 'eq/loopback', operation: 'op', kind: 'explore', scheduleJson: '{}' }, rows, () => [
      { check: 'no-duplicate-effects', status: 'pass', message: 'ok', evidence: { effects: rows.effects.length } },
    ]);
    let readBack;
    const stored = ledger.recordCase({ id: 'eq/read-back', operation: 'op', kind: 'explore', scheduleJson: '{}' }, { ...rows, invocations: [], requests: [], effects: [] }, () => []);
    ledger.close();
    // What the checks judge: the case as a Ledger reads it back (readCase), and its check rows.
    const reader = new build.Ledger(file, { readonly: true });
    try {
      const { invocations, requests, effects } = reader.readCase('eq/loopback');
      readBack = { invocations: invocations.map(({ startedMs, ...rest }) => rest), requests: requests.map(({ startedMs, endedMs, ...rest }) => rest), effects, checks: reader.readChecks('eq/loopback'), empty: stored };
    } finally {
      reader.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      const tables = ['cases', 'invocations', 'requests', 'effects', 'check_results'];
      return { readBack, ...Object.fromEntries(tables.map((table) => [table, db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all().map(({ started_ms, ended_ms, ...rest }) => ({ ...rest, ended: ended_ms !== null && ended_ms !== undefined }))])) };
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The script over the loopback server: what the client saw and the rows. */
async function overLoopback(build, model, upstream) {
  const pipeline = new build.UpstreamPipeline(upstream, model);
  const server = await build.startLoopbackServer(pipeline, { holdLimitMs: 2_000 });
  const recorder = new build.CaseRecorder('eq/loopback', 'op');
  pipeline.beginCase({ faults: FAULTS.map((f) => ({ upstream, ...f })), recorder, crashTarget: () => undefined });
  const seen = [];
  try {
    for (const step of SCRIPT) seen.push(await send(server.url, step));
    await pipeline.settle(500);
  } finally {
    pipeline.endCase();
    await server.close();
  }
  recorder.addInvocation(INVOCATION);
  const rows = recorder.finish(new Map([[upstream, model.traits]]));
  const requests = rows.requests.map(({ startedMs, endedMs, ...rest }) => ({ ...rest, ended: endedMs !== null }));
  return scrub({ seen, requests, effects: rows.effects, ledger: ledgerRows(build, rows) });
}

/** The script through `handle(Request)`, the entry point of the in-process (msw) binding: outcome kind, status, headers, body, rows. */
async function throughHandle(build, model, upstream) {
  const pipeline = new build.UpstreamPipeline(upstream, model);
  const recorder = new build.CaseRecorder('eq/direct', 'op');
  pipeline.beginCase({ faults: FAULTS.map((f) => ({ upstream, ...f })), recorder, crashTarget: () => undefined });
  const seen = [];
  try {
    for (const step of SCRIPT) {
      const headers = {};
      if (step.body !== undefined) headers['content-type'] = 'application/json';
      if (step.key) headers['idempotency-key'] = step.key;
      const hasBody = step.method !== 'GET' && step.method !== 'HEAD' && step.body;
      const result = await pipeline.handle(new Request(`http://${upstream}.upstream.retryproof.test${step.path}`, { method: step.method, headers, body: hasBody ? step.body : undefined }));
      const { outcome } = result;
      const response = outcome.response;
      seen.push({
        kind: outcome.kind,
        status: response?.status ?? null,
        statusText: response?.statusText ?? null,
        headers: response ? [...response.headers] : null,
        body: response ? await response.text() : null,
        bytes: outcome.bytes ?? null,
      });
      result.delivered(outcome.kind === 'respond' ? 'response' : outcome.kind, response?.status ?? null);
    }
  } finally {
    pipeline.endCase();
  }
  const rows = recorder.finish(new Map([[upstream, model.traits]]));
  const requests = rows.requests.map(({ startedMs, endedMs, ...rest }) => rest);
  return scrub({ seen, requests, effects: rows.effects });
}

function firstDifference(a, b) {
  const left = JSON.stringify(a, null, 1).split('\n');
  const right = JSON.stringify(b, null, 1).split('\n');
  const at = left.findIndex((line, i) => line !== right[i]);
  if (at < 0 && left.length === right.length) return null;
  const index = at < 0 ? Math.min(left.length, right.length) : at;
  return `line ${index}: ${left[index]} / ${right[index]}`;
}

/**
 * Returns { equivalent, detail, claimed }. Without `referenceUrl`: each
 * built-in model of `distUrl` with its fast routes vs without them. With it:
 * `distUrl` vs `referenceUrl`, each serving its models as it does.
 */
export async function checkEquivalence(distUrl, referenceUrl) {
  const build = await loadBuild(distUrl);
  const reference = referenceUrl ? await loadBuild(referenceUrl) : build;
  const mswOnly = (model) => ({ handlers: model.handlers, reset: () => model.reset(), traits: model.traits });
  const referenceModel = (spec) => (referenceUrl ? reference.createModel(spec) : mswOnly(reference.createModel(spec)));
  const differences = [];
  let claimed = 0;
  for (const spec of SPECS) {
    const name = `${spec.model}${spec.model === 'resource' ? (spec.honoursIdempotencyKey ? ' (keys)' : ' (no keys)') : ''}`;
    const fastModel = build.createModel(spec);
    if (!fastModel.fast) differences.push(`${name}: no fast routes`);
    claimed += SCRIPT.filter((step) => fastModel.fast?.route(step.method, new URL(step.path, 'http://x').pathname)).length;
    const pairs = [
      ['loopback', () => overLoopback(build, fastModel, 'up'), () => overLoopback(reference, referenceModel(spec), 'up')],
      ['handle(Request)', () => throughHandle(build, build.createModel(spec), 'up'), () => throughHandle(reference, referenceModel(spec), 'up')],
    ];
    for (const [how, mine, theirs] of pairs) {
      const difference = firstDifference(await mine(), await theirs());
      if (difference) differences.push(`${name}, ${how}: first difference at ${difference}`);
    }
  }
  const against = referenceUrl ? 'the reference build' : 'msw alone';
  return {
    equivalent: differences.length === 0,
    claimed,
    detail:
      differences.join('; ') ||
      `${SCRIPT.length} requests (${claimed} claimed by fast routes over ${SPECS.length} models) x ${SPECS.length} models, ${FAULTS.length} faults, over the loopback server and through handle(Request): same answers and rows as ${against}`,
  };
}

// node test/bench/lib/equivalence.mjs [REFERENCE_DIST_DIR]: the check alone, after `npm run build`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const dist = new URL('../../../dist/', import.meta.url);
  const reference = process.argv[2] ? new URL(`file://${(await import('node:path')).resolve(process.argv[2])}/`) : undefined;
  const result = await checkEquivalence(dist, reference);
  process.stdout.write(`${result.equivalent ? 'equivalent' : 'NOT equivalent'}: ${result.detail}\n`);
  process.exit(result.equivalent ? 0 : 1);
}
