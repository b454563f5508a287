import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { http, HttpResponse } from 'msw';
import { setupServer, type SetupServer } from 'msw/node';
import type { Outcome } from '../faults/fault.js';
import type { Delivery } from '../ledger/rows.js';
import type { PipelineResult, UpstreamPipeline } from './pipeline.js';

/**
 * Serves upstream pipelines to in-process (module) targets through msw's
 * interception: the target's global `fetch` and `node:http` requests to an
 * upstream's URL never leave the process. Each upstream gets a URL on the
 * reserved `.test` domain, `http://NAME.upstream.retryproof.test`; a catch-all
 * msw handler routes by host to the right pipeline and turns its Outcome into
 * msw terms. In-process, msw's `HttpResponse.error()` is a real network error
 * (a rejected fetch, an `error` event on a ClientRequest), so resets need no
 * socket; a hold is an answer that never comes until the client aborts.
 *
 * Every other host passes through untouched (`onUnhandledRequest: 'bypass'`).
 */
export const IN_PROCESS_DOMAIN = 'upstream.retryproof.test';

export interface InProcessBinding {
  /** Upstream name → base URL, e.g. payments → http://payments.upstream.retryproof.test */
  readonly urls: ReadonlyMap<string, string>;
  /** Releases held requests and stops intercepting once no binding is left. Idempotent. */
  close(): Promise<void>;
}

export interface InProcessOptions {
  /** A held request is answered with a network error after this long even if the client never gives up. */
  holdLimitMs: number;
}

/**
 * Who is calling, for requests made from inside an in-process target. The
 * module session runs each call of the target's function inside
 * `runAsInProcessCaller`; when the call outlived its case (the harness stopped
 * waiting for it but a function cannot be killed), `stale` is set and its late
 * requests are refused with a network error instead of landing in a later
 * case's ledger.
 */
export interface InProcessCaller {
  stale: boolean;
}

const callers = new AsyncLocalStorage<InProcessCaller>();

export function runAsInProcessCaller<T>(caller: InProcessCaller, fn: () => T): T {
  return callers.run(caller, fn);
}

interface Route {
  pipeline: UpstreamPipeline;
  options: InProcessOptions;
  holds: Set<() => void>;
}

/**
 * msw patches process-wide globals (fetch, http.request), and `setupServer`
 * instances share one interceptor, so every binding in the process shares one
 * server: it listens while at least one binding is open (one per run lane) and
 * is closed when the last one closes. Hosts are unique across open bindings.
 */
const routes = new Map<string, Route>();
let server: SetupServer | undefined;

export async function startInProcessBinding(
  pipelines: readonly UpstreamPipeline[],
  options: InProcessOptions,
): Promise<InProcessBinding> {
  const urls = new Map<string, string>();
  const hosts: string[] = [];
  const holds = new Set<() => void>();
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const release of [...holds]) release();
    for (const host of hosts) routes.delete(host);
    if (routes.size === 0) stopListening();
  };
  try {
    for (const pipeline of pipelines) {
      const host = freeHost(pipeline.name);
      routes.set(host, { pipeline, options, holds });
      hosts.push(host);
      urls.set(pipeline.name, `http://${host}`);
    }
    startListening();
  } catch (error) {
    await close();
    throw error;
  }
  return { urls, close };
}

/** True while msw intercepts requests in this process (for tests and diagnostics). */
export function inProcessListening(): boolean {
  return server !== undefined;
}

function startListening(): void {
  if (server) return;
  const created = setupServer(catchAll);
  try {
    created.listen({ onUnhandledRequest: 'bypass' });
  } catch (error) {
    created.close();
    throw error;
  }
  server = created;
}

function stopListening(): void {
  const current = server;
  server = undefined;
  current?.close();
}

/** `payments` → `payments.upstream.retryproof.test`, or `payments-2...` when another open binding has it. */
function freeHost(name: string): string {
  const label = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'upstream';
  let host = `${label}.${IN_PROCESS_DOMAIN}`;
  for (let n = 2; routes.has(host); n += 1) host = `${label}-${n}.${IN_PROCESS_DOMAIN}`;
  return host;
}

const catchAll = http.all(
  ({ request }) => routes.has(new URL(request.url).host),
  async ({ request }) => {
    const route = routes.get(new URL(request.url).host);
    if (!route) return HttpResponse.error();
    if (callers.getStore()?.stale) {
      // A call the harness abandoned in an earlier case: keep it out of this case's ledger.
      return HttpResponse.error();
    }
    try {
      const result = await route.pipeline.handle(await detach(request));
      return await deliver(result, request, route);
    } catch (error) {
      // A harness bug: answer 500 so the target sees something, and say why on stderr.
      process.stderr.write(`retryproof: upstream ${route.pipeline.name} failed on ${request.method} ${request.url}: ${String(error)}\n`);
      return new Response(null, { status: 500 });
    }
  },
);

/**
 * A plain copy of the intercepted request for the pipeline: the pipeline and
 * the upstream's handlers read its body freely, and it does not carry the
 * client's abort signal into the upstream's logic (a real server keeps working
 * after the client gives up, which is the whole point of "after commit").
 */
async function detach(request: Request): Promise<Request> {
  const method = request.method;
  const body = method === 'GET' || method === 'HEAD' ? undefined : await request.arrayBuffer();
  return new Request(request.url, {
    method,
    headers: request.headers,
    body: body && body.byteLength > 0 ? body : undefined,
  });
}

async function deliver(result: PipelineResult, request: Request, route: Route): Promise<Response> {
  const { delivery, status, response } = await respond(result.outcome, request, route, result.crashTarget);
  result.delivered(delivery, status);
  return response;
}

async function respond(
  outcome: Outcome,
  request: Request,
  route: Route,
  crashTarget: () => void,
): Promise<{ delivery: Delivery; status: number | null; response: Response }> {
  switch (outcome.kind) {
    case 'respond': {
      if (outcome.delayMs) {
        const gone = await waitUnlessClientGone(request, outcome.delayMs, route);
        // The client gave up while the answer was late: nothing reached it (as over loopback).
        if (gone) return { delivery: 'abandoned', status: null, response: HttpResponse.error() };
      }
      return { delivery: 'response', status: outcome.response.status, response: outcome.response };
    }
    case 'hold':
      await waitUnlessClientGone(request, route.options.holdLimitMs, route);
      return { delivery: 'held', status: null, response: HttpResponse.error() };
    case 'reset':
      return { delivery: 'reset', status: null, response: HttpResponse.error() };
    case 'truncate':
      return { delivery: 'truncated', status: outcome.response.status, response: await truncated(outcome.response, outcome.bytes) };
    case 'crash':
      // Module sessions declare crash faults unsupported, so this only happens if a
      // caller binds one anyway: there is no process to kill, so drop the request.
      crashTarget();
      return { delivery: 'crashed', status: null, response: HttpResponse.error() };
  }
}

/**
 * Waits `ms`, or less if the client gives up first. Resolves true when the
 * client gave up. A fetch client gives up through `request.signal` (msw 2's
 * fetch interceptor builds the request from the client's own init, so its
 * signal is the client's and aborts with it). A `node:http` client's request
 * carries no signal under msw (interceptors 0.41 does not forward it), so the
 * raw ClientRequest's `close` is watched too. `close()` of the binding ends
 * every wait.
 */
function waitUnlessClientGone(request: Request, ms: number, route: Route): Promise<boolean> {
  return new Promise((resolve) => {
    const raw = rawClientRequest(request);
    let release = (_gone: boolean): void => undefined;
    const onAbort = (): void => release(true);
    const onBindingClose = (): void => release(true);
    const timer = setTimeout(() => release(false), ms);
    release = (gone) => {
      clearTimeout(timer);
      request.signal.removeEventListener('abort', onAbort);
      raw?.off('close', onAbort);
      route.holds.delete(onBindingClose);
      resolve(gone);
    };
    route.holds.add(onBindingClose);
    if (request.signal.aborted || raw?.destroyed) {
      release(true);
      return;
    }
    request.signal.addEventListener('abort', onAbort, { once: true });
    raw?.once('close', onAbort);
  });
}

/** The `http.ClientRequest` msw attaches to a request it intercepted from `node:http`, if any. */
function rawClientRequest(request: Request): (EventEmitter & { destroyed?: boolean }) | undefined {
  // @mswjs/interceptors keeps it under a private symbol (its `getRawRequest`); msw does not re-export that helper.
  const symbol = Object.getOwnPropertySymbols(request).find((candidate) => candidate.description === 'kRawRequest');
  const raw: unknown = symbol ? Reflect.get(request, symbol) : undefined;
  return raw instanceof EventEmitter ? raw : undefined;
}

/**
 * The status and headers, then `bytes` bytes of the body (never the whole
 * body), then a stream error: what a client sees when the connection dies in
 * the middle of a response. The error mimics undici's own for a socket closed
 * mid-body, so client code that inspects it behaves as over a real socket.
 */
async function truncated(response: Response, bytes: number): Promise<Response> {
  const full = new Uint8Array(await response.arrayBuffer());
  const part = full.subarray(0, Math.min(bytes, Math.max(0, full.length - 1)));
  let sent = false;
  // highWaterMark 0: pulled only when the client (through msw's tee) asks for more, so
  // the error comes after the client took the partial bytes, never instead of them.
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent && part.length > 0) {
        sent = true;
        controller.enqueue(part);
        return;
      }
      controller.error(
        Object.assign(new TypeError('terminated'), {
          cause: Object.assign(new Error('other side closed (retryproof truncated the response)'), { code: 'UND_ERR_SOCKET' }),
        }),
      );
    },
  }, { highWaterMark: 0 });
  const headers = new Headers(response.headers);
  headers.set('content-length', String(full.length));
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}
