// Is the fast-path prototype a drop-in replacement? The same scripted
// requests, with faults, go to the current upstream (UpstreamPipeline +
// startLoopbackServer) and to the prototype; what the client receives and the
// rows the recorder keeps must be the same, apart from timestamps. Run on the
// resource model (fast routes, plus the forms the fast matcher leaves to msw)
// and on the mailer model (msw handlers only: the path of users' upstreams).
import http from 'node:http';

const SCRIPT = [
  { method: 'POST', path: '/charges', body: '{"amount":1,"ref":"a"}' },
  { method: 'POST', path: '/charges', key: 'k1', body: '{"amount":2}' },
  { method: 'POST', path: '/charges', key: 'k1', body: '{"amount":2}' },
  { method: 'POST', path: '/charges', key: 'k1', body: '{"amount":3}' },
  { method: 'GET', path: '/charges?ref=a' },
  { method: 'GET', path: '/charges?ref=k1' },
  { method: 'GET', path: '/charges/cha_1' },
  { method: 'GET', path: '/charges/cha_99' },
  { method: 'POST', path: '/charges', body: 'not json' },
  { method: 'GET', path: '/other' },
  { method: 'POST', path: '/CHARGES', body: '{"amount":4}' },
  { method: 'POST', path: '/charges/', body: '{"amount":5}' },
  { method: 'GET', path: '/charges/cha_2/' },
  { method: 'POST', path: '/v1/charges', body: '{"amount":6}' },
  { method: 'GET', path: '/charges/charges' },
  { method: 'GET', path: '/charges/%63ha_1' },
  { method: 'HEAD', path: '/charges' },
  { method: 'PUT', path: '/charges', body: '{}' },
  { method: 'POST', path: '/charges', key: '"quoted"', body: '{"amount":7}' },
  { method: 'POST', path: '/charges', body: '' },
  { method: 'POST', path: '/messages', body: '{"to":"alice@example.com"}' },
  { method: 'POST', path: '/messages', body: 'plain text' },
];

const FAULTS = [
  { ordinal: 3, fault: '503-after-commit' },
  { ordinal: 6, fault: 'truncate-after-commit', params: { truncateBytes: 5 } },
  { ordinal: 9, fault: 'reset-before-commit' },
  { ordinal: 12, fault: '429-retry-after', params: { retryAfterSeconds: 1 } },
  { ordinal: 16, fault: 'reset-after-commit' },
  { ordinal: 21, fault: '500-after-commit' },
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
        const kept = { ...response.headers };
        delete kept.date;
        delete kept.connection;
        delete kept['keep-alive'];
        resolve({ status: response.statusCode, headers: kept, body: Buffer.concat(chunks).toString('utf8'), error: error ?? null });
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

async function exercise(dist, pipeline, start, upstream, traits, caseId, Recorder = dist.CaseRecorder) {
  const server = await start(pipeline, { holdLimitMs: 2_000 });
  const recorder = new Recorder(caseId, 'op');
  pipeline.beginCase({ faults: FAULTS.map((f) => ({ upstream, ...f })), recorder, crashTarget: () => undefined });
  const seen = [];
  try {
    for (const step of SCRIPT) seen.push(await send(server.url, step));
    // Let the last deliveries finish before the case is read.
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    pipeline.endCase();
    await server.close();
  }
  const rows = recorder.finish(new Map([[upstream, traits]]));
  const requests = rows.requests.map(({ startedMs, endedMs, ...rest }) => ({ ...rest, ended: endedMs !== null }));
  return scrub({ seen, requests, effects: rows.effects });
}

/** The same script through `handle(Request)`, the entry point of the in-process (msw) binding: outcome kind, status, body, rows. */
async function exerciseDirect(dist, pipeline, upstream, traits, caseId, Recorder = dist.CaseRecorder) {
  const recorder = new Recorder(caseId, 'op');
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
      seen.push({ kind: outcome.kind, status: response?.status ?? null, body: response ? await response.text() : null, bytes: outcome.bytes ?? null });
      result.delivered(outcome.kind === 'respond' ? 'response' : outcome.kind, response?.status ?? null);
    }
  } finally {
    pipeline.endCase();
  }
  const rows = recorder.finish(new Map([[upstream, traits]]));
  const requests = rows.requests.map(({ startedMs, endedMs, ...rest }) => rest);
  return scrub({ seen, requests, effects: rows.effects });
}

/** Returns { equivalent, detail }. */
export async function checkEquivalence(dist) {
  const proto = await import('../fastpath/fast-pipeline.mjs');
  const { MemoCaseRecorder } = await import('../fastpath/memo-recorder.mjs');
  const { mailerModel } = await import(new URL('../../../dist/upstream/models/mailer.js', import.meta.url).href);
  const options = { path: '/charges', honoursIdempotencyKey: true, clientRefField: 'ref', noun: 'charge', ignoreFields: [] };
  const mailer = { path: '/messages', noun: 'email', ignoreFields: [] };
  const pairs = [
    [
      'resource',
      () => exercise(dist, new dist.UpstreamPipeline('payments', dist.resourceModel(options)), dist.startLoopbackServer, 'payments', dist.resourceModel(options).traits, 'eq/resource'),
      () => exercise(dist, new proto.FastUpstreamPipeline('payments', proto.fastResourceModel(options)), proto.startFastLoopbackServer, 'payments', proto.fastResourceModel(options).traits, 'eq/resource', MemoCaseRecorder),
    ],
    [
      'mailer (msw only)',
      () => exercise(dist, new dist.UpstreamPipeline('mailer', mailerModel(mailer)), dist.startLoopbackServer, 'mailer', mailerModel(mailer).traits, 'eq/mailer'),
      () => exercise(dist, new proto.FastUpstreamPipeline('mailer', mailerModel(mailer)), proto.startFastLoopbackServer, 'mailer', mailerModel(mailer).traits, 'eq/mailer', MemoCaseRecorder),
    ],
  ];
  pairs.push([
    'resource, handle(Request)',
    () => exerciseDirect(dist, new dist.UpstreamPipeline('payments', dist.resourceModel(options)), 'payments', dist.resourceModel(options).traits, 'eq/direct'),
    () => exerciseDirect(dist, new proto.FastUpstreamPipeline('payments', proto.fastResourceModel(options)), 'payments', proto.fastResourceModel(options).traits, 'eq/direct', MemoCaseRecorder),
  ]);
  const differences = [];
  for (const [name, current, prototype] of pairs) {
    const a = await current();
    const b = await prototype();
    const left = JSON.stringify(a, null, 1).split('\n');
    const right = JSON.stringify(b, null, 1).split('\n');
    const at = left.findIndex((line, i) => line !== right[i]);
    if (at >= 0 || left.length !== right.length) {
      differences.push(`${name}: first difference at line ${at}: current ${left[at]} / prototype ${right[at]}`);
    }
  }
  return {
    equivalent: differences.length === 0,
    detail: differences.join('; ') || `${SCRIPT.length} requests x 2 models over the loopback server and through handle(Request), ${FAULTS.length} faults: same answers, same rows`,
  };
}
