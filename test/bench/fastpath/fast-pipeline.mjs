// PROTOTYPE (benchmark only; to be moved into src/upstream by the maintainer).
//
// A fast path for the built-in upstream models over the loopback server.
//
// What it removes from each request, compared with src/upstream/pipeline.ts +
// loopback-server.ts (see reports/bench.md for the profile):
//   1. the WHATWG Request built from the IncomingMessage (undici Request +
//      Headers + a body stream), and its clone().text() in the pipeline;
//   2. msw's getResponse: a second request clone, cookie parsing, URL matching
//      with path-to-regexp, AbortController per handler, the resolver wrapper,
//      and HttpResponse.json (a Response with a body stream, read back with
//      arrayBuffer() by the server);
//   3. AsyncLocalStorage.run around the handler: on Node 20 the first run()
//      turns on async_hooks for every promise in the process.
// A built-in model offers `fast.route(method, pathname)`: plain functions that
// share their logic (and state) with the model's msw handlers and receive the
// handler context as an argument. Anything a fast route does not claim, and
// every model without fast routes (users' own msw handlers), goes through msw
// exactly as before. A request with a fault still gets a real Response to hand
// to the fault, so the fault catalog is unchanged.
import http from 'node:http';
import { createHash } from 'node:crypto';
import { getResponse, http as mswHttp, HttpResponse } from 'msw';

const dist = new URL('../../../dist/', import.meta.url);
const { faultNamed } = await import(new URL('faults/registry.js', dist).href);
const { bindingFor } = await import(new URL('explore/schedule.js', dist).href);
const { runWithHandlerContext, recordEffect, recordReplay, recordRejection } = await import(new URL('upstream/context.js', dist).href);
const { parseIdempotencyKey } = await import(new URL('upstream/idempotency-key.js', dist).href);

const decoder = new TextDecoder();

/* ------------------------------------------------------------------ model */

/** A path the fast matcher can compare as plain text (no msw wildcards, params or regexp syntax). */
const PLAIN_PATH = /^(\/[A-Za-z0-9_.~-]+)+$/;
const PLAIN_SEGMENT = /^[A-Za-z0-9_.~-]+$/;

/**
 * The resource model of src/upstream/models/resource.ts with its logic written
 * once, as plain functions of (body text, key header, context), called by its
 * msw handlers (context from AsyncLocalStorage, as today) and by its fast
 * routes (context passed in). Same state, same answers, same ledger rows.
 */
export function fastResourceModel(options) {
  const records = new Map();
  const keys = new Map();
  let sequence = 0;
  const prefix = options.noun.slice(0, 3).toLowerCase() || 'rec';
  const collection = `*${options.path}`;
  const createRoute = `POST ${options.path}`;

  // Each returns { status, json, headers? }: what HttpResponse.json would be given.
  const create = (text, keyHeader, ctx) => {
    let body = {};
    if (text) {
      try {
        const parsed = JSON.parse(text);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed;
      } catch {
        ctx.rejected();
        return { status: 400, json: { error: 'body must be JSON' } };
      }
    }
    const key = parseIdempotencyKey(keyHeader);
    if (options.honoursIdempotencyKey && key !== null) {
      // Only a key store needs the body's hash (the current model hashes every request).
      const bodyHash = createHash('sha256').update(text ? canonicalJson(body) : '').digest('hex');
      const stored = keys.get(key);
      if (stored && stored.bodyHash !== bodyHash) {
        ctx.rejected();
        return { status: 422, json: { error: 'Idempotency-Key reused with a different request body' } };
      }
      if (stored && !stored.response) {
        ctx.rejected();
        return { status: 409, json: { error: 'a request with this Idempotency-Key is still in flight' } };
      }
      if (stored?.response) {
        ctx.replayed();
        return { status: stored.response.status, json: stored.response.body, headers: { 'idempotent-replayed': 'true' } };
      }
      keys.set(key, { bodyHash });
    }
    sequence += 1;
    const record = { ...body, id: `${prefix}_${sequence}`, idempotencyKey: key, created: new Date().toISOString() };
    records.set(record.id, record);
    ctx.commit({ route: createRoute, resourceId: record.id, body });
    if (options.honoursIdempotencyKey && key !== null) keys.get(key).response = { status: 201, body: record };
    return { status: 201, json: record };
  };
  const list = (ref) => {
    const data = [...records.values()].filter(
      (record) => ref === null || record[options.clientRefField] === ref || record.idempotencyKey === ref,
    );
    return { status: 200, json: { data } };
  };
  const get = (id) => {
    const record = records.get(id);
    return record ? { status: 200, json: record } : { status: 404, json: { error: 'not found' } };
  };

  const mswContext = { commit: recordEffect, replayed: recordReplay, rejected: recordRejection };
  const toMsw = (answer) => HttpResponse.json(answer.json, { status: answer.status, headers: answer.headers });
  const handlers = [
    mswHttp.post(collection, async ({ request }) => toMsw(create(await request.text(), request.headers.get('idempotency-key'), mswContext))),
    mswHttp.get(collection, ({ request }) => toMsw(list(new URL(request.url).searchParams.get('ref')))),
    mswHttp.get(`${collection}/:id`, ({ params }) => toMsw(get(String(params.id)))),
  ];

  // The fast matcher claims only the canonical forms; msw still answers the
  // rest (other case, encoded characters, prefixes before the path).
  const plain = PLAIN_PATH.test(options.path);
  const fast = {
    route(method, pathname) {
      if (!plain) return undefined;
      const isCollection = pathname === options.path || pathname === `${options.path}/`;
      if (method === 'POST') return isCollection ? (req, ctx) => create(req.text, req.headers['idempotency-key'] ?? null, ctx) : undefined;
      if (method !== 'GET') return undefined;
      if (isCollection) return (req) => list(req.searchParams.get('ref'));
      if (!pathname.startsWith(`${options.path}/`) || pathname.endsWith(options.path) || pathname.endsWith(`${options.path}/`)) return undefined;
      const rest = pathname.slice(options.path.length + 1).replace(/\/$/, '');
      return PLAIN_SEGMENT.test(rest) ? () => get(rest) : undefined;
    },
  };

  return {
    handlers,
    fast,
    reset() {
      records.clear();
      keys.clear();
      sequence = 0;
    },
    traits: { deduplicates: options.honoursIdempotencyKey, lookup: true, noun: options.noun, ignoreFields: options.ignoreFields },
  };
}

function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/* --------------------------------------------------------------- pipeline */

/** A request as the loopback server reads it: no WHATWG objects until someone needs one. */
// { method, url (path and query, as req.url), host, headers (node's lower-case record), body: Buffer }

/** A plain answer: what HttpResponse.json would hold, already serialised. */
function plainAnswer(answer) {
  const text = JSON.stringify(answer.json);
  const headers = { 'content-type': 'application/json', ...(answer.headers ?? {}) };
  return { status: answer.status, headers, bytes: Buffer.from(text ?? '') };
}

function toResponse(plain) {
  return new Response(plain.bytes.length > 0 ? plain.bytes : null, { status: plain.status, headers: plain.headers });
}

function toRequest(raw) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const method = raw.method;
  return new Request(`http://${raw.host ?? '127.0.0.1'}${raw.url}`, {
    method,
    headers,
    body: method === 'GET' || method === 'HEAD' || raw.body.length === 0 ? undefined : raw.body,
  });
}

/**
 * UpstreamPipeline with the fast path: same session API (beginCase, endCase),
 * same ledger rows. `handleRaw` is what the fast loopback server calls.
 */
export class FastUpstreamPipeline {
  session;
  count = 0;
  routeCounts = new Map();

  constructor(name, model) {
    this.name = name;
    this.model = model;
  }

  beginCase(session) {
    this.session = session;
    this.count = 0;
    this.routeCounts.clear();
    this.model.reset();
  }

  endCase() {
    this.session = undefined;
  }

  /**
   * The WHATWG entry point of UpstreamPipeline.handle, for the in-process (msw)
   * binding of module targets: same outcomes as today (a `plain` answer comes
   * back as a Response), so src/upstream/in-process.ts needs no change.
   */
  async handle(request) {
    const url = new URL(request.url);
    const headers = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : Buffer.alloc(0);
    const result = await this.handleRaw({ method: request.method, url: url.pathname + url.search, host: url.host, headers, body });
    if (result.outcome.kind === 'plain') return { ...result, outcome: { kind: 'respond', response: toResponse(result.outcome.plain) } };
    return result;
  }

  async handleRaw(raw) {
    const session = this.session;
    if (!session) {
      return {
        outcome: { kind: 'plain', plain: { status: 503, headers: { 'content-type': 'text/plain;charset=UTF-8' }, bytes: Buffer.from('no case is running') } },
        delivered: () => undefined,
        crashTarget: () => undefined,
      };
    }
    const url = new URL(`http://${raw.host ?? '127.0.0.1'}${raw.url}`);
    const plainRoute = `${raw.method} ${url.pathname}`;
    this.count += 1;
    const ordinal = this.count;
    this.routeCounts.set(plainRoute, (this.routeCounts.get(plainRoute) ?? 0) + 1);
    const binding = session.faults.length === 0
      ? undefined
      : bindingFor(session.faults, {
          upstream: this.name,
          ordinal,
          routeOrdinal: (route) => (route === plainRoute ? this.routeCounts.get(plainRoute) : -1),
        });
    const fault = faultNamed(binding?.fault ?? 'none');
    const hasBody = raw.method !== 'GET' && raw.method !== 'HEAD' && raw.body.length > 0;
    const body = hasBody ? decoder.decode(raw.body) : '';
    const keyHeader = raw.headers['idempotency-key'];
    const row = session.recorder.startRequest({
      upstream: this.name,
      ordinal,
      method: raw.method,
      path: url.pathname + url.search,
      route: plainRoute,
      idempotencyKey: parseIdempotencyKey(Array.isArray(keyHeader) ? keyHeader.join(', ') : keyHeader),
      body,
      bodyFingerprint: '',
      fault: fault.name,
      committed: false,
      outcome: 'not-run',
      delivery: 'response',
      upstreamStatus: null,
      clientStatus: null,
    });

    let plain = null;
    const delayBeforeCommit = binding?.params?.delayBeforeCommitMs;
    if (delayBeforeCommit) await new Promise((resolve) => setTimeout(resolve, delayBeforeCommit));
    if (fault.commits) {
      let outcome = raw.method === 'GET' || raw.method === 'HEAD' ? 'read' : 'rejected';
      const effects = [];
      const context = {
        upstream: this.name,
        commit: (effect = {}) => {
          effects.push(effect);
          outcome = 'committed';
        },
        replayed: () => {
          outcome = 'replayed';
        },
        rejected: () => {
          outcome = 'rejected';
        },
        route: (route) => {
          row.route = route;
        },
      };
      const fastRoute = this.model.fast?.route(raw.method, url.pathname);
      if (fastRoute) {
        plain = plainAnswer(fastRoute({ text: body, headers: raw.headers, searchParams: url.searchParams }, context));
      } else {
        // Custom upstreams and anything the fast matcher leaves alone: msw, as today.
        const handled = await runWithHandlerContext(context, () => getResponse(this.model.handlers, toRequest(raw)));
        if (handled) {
          const headers = {};
          handled.headers.forEach((value, name) => {
            if (name !== 'content-length' && name !== 'transfer-encoding') headers[name] = value;
          });
          plain = { status: handled.status, headers, bytes: Buffer.from(await handled.arrayBuffer()) };
        } else {
          outcome = 'unmatched';
          plain = plainAnswer({ status: 404, json: { error: `retryproof: no handler of this upstream matches ${plainRoute}` } });
        }
      }
      row.outcome = outcome;
      row.upstreamStatus = plain.status;
      for (const effect of effects) {
        if (effect.route) row.route = effect.route;
        row.committed = true;
        session.recorder.addEffect({
          upstream: this.name,
          route: effect.route ?? plainRoute,
          key: row.idempotencyKey,
          resourceId: effect.resourceId ?? null,
          requestId: row.id,
          body: effect.body === undefined ? body : typeof effect.body === 'string' ? effect.body : JSON.stringify(effect.body),
        });
      }
    }
    // No fault: the answer goes out as it is. A fault gets a real Response, as today.
    const outcome = fault.name === 'none' && plain
      ? { kind: 'plain', plain }
      : fault.outcome(plain ? toResponse(plain) : null, binding?.params ?? {});
    return {
      outcome,
      delivered: (delivery, clientStatus) => {
        row.delivery = delivery;
        row.clientStatus = clientStatus;
        row.endedMs = session.recorder.now();
      },
      crashTarget: () => session.crashTarget(),
    };
  }
}

/* ---------------------------------------------------------- loopback server */

/**
 * startLoopbackServer of src/upstream/loopback-server.ts, serving raw requests
 * to FastUpstreamPipeline.handleRaw. Only `serve` and the `plain` outcome are
 * new; holds, resets, truncations and crashes are delivered as before.
 */
export async function startFastLoopbackServer(pipeline, options) {
  const sockets = new Set();
  const holds = new Set();
  const server = http.createServer((req, res) => {
    serve(pipeline, options, holds, req, res).catch((error) => {
      process.stderr.write(`retryproof: upstream ${pipeline.name} failed on ${req.method} ${req.url}: ${String(error)}\n`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      for (const release of holds) release();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function serve(pipeline, options, holds, req, res) {
  const body = await readBody(req, options.maxBodyBytes ?? 10 * 1024 * 1024);
  if (body === 'too-large') {
    res.writeHead(413).end();
    return;
  }
  const raw = { method: req.method ?? 'GET', url: req.url ?? '/', host: req.headers.host, headers: req.headers, body };
  const result = await pipeline.handleRaw(raw);
  const { delivery, status } = await deliver(result.outcome, req, res, options, holds, result.crashTarget);
  result.delivered(delivery, status);
}

async function deliver(outcome, req, res, options, holds, crashTarget) {
  switch (outcome.kind) {
    case 'plain': {
      if (res.destroyed || req.socket.destroyed) return { delivery: 'abandoned', status: null };
      const { status, headers, bytes } = outcome.plain;
      res.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
      res.end(bytes);
      return { delivery: 'response', status };
    }
    case 'respond': {
      if (outcome.delayMs) await new Promise((resolve) => setTimeout(resolve, outcome.delayMs));
      if (res.destroyed || req.socket.destroyed) return { delivery: 'abandoned', status: null };
      const bytes = Buffer.from(await outcome.response.arrayBuffer());
      res.writeHead(outcome.response.status, responseHeaders(outcome.response, bytes.length));
      res.end(bytes);
      return { delivery: 'response', status: outcome.response.status };
    }
    case 'hold':
      await hold(req, options.holdLimitMs, holds);
      res.destroy();
      return { delivery: 'held', status: null };
    case 'reset':
      resetSocket(req.socket);
      return { delivery: 'reset', status: null };
    case 'truncate': {
      const bytes = Buffer.from(await outcome.response.arrayBuffer());
      res.writeHead(outcome.response.status, responseHeaders(outcome.response, bytes.length));
      res.write(bytes.subarray(0, Math.min(outcome.bytes, Math.max(0, bytes.length - 1))));
      await new Promise((resolve) => setImmediate(resolve));
      resetSocket(req.socket);
      return { delivery: 'truncated', status: outcome.response.status };
    }
    case 'crash':
      crashTarget();
      resetSocket(req.socket);
      return { delivery: 'crashed', status: null };
    default:
      throw new Error(`unknown outcome ${outcome.kind}`);
  }
}

function hold(req, limitMs, holds) {
  return new Promise((resolve) => {
    const socket = req.socket;
    let release = () => undefined;
    const timer = setTimeout(() => release(), limitMs);
    release = () => {
      clearTimeout(timer);
      socket.off('close', release);
      holds.delete(release);
      resolve();
    };
    holds.add(release);
    if (socket.destroyed) release();
    else socket.once('close', release);
  });
}

function resetSocket(socket) {
  if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed) socket.resetAndDestroy();
  else socket.destroy();
}

function responseHeaders(response, length) {
  const headers = {};
  response.headers.forEach((value, name) => {
    if (name !== 'content-length' && name !== 'transfer-encoding') headers[name] = value;
  });
  headers['content-length'] = String(length);
  return headers;
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? 'too-large' : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
