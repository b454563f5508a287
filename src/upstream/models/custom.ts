import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerPackageFallback } from '../package-fallback.js';
import { getResponse, http, HttpResponse, type RequestHandler } from 'msw';
import { RetryproofError, type ErrorWhere } from '../../errors.js';
import { upstreamApi, type UpstreamApi } from '../context.js';
import type { UpstreamModel } from '../model.js';

/**
 * What a custom upstream module exports, preferably: a function that makes a
 * fresh set of msw handlers (with fresh state) each time it is called. The
 * harness calls it once when the run starts, to check it, and again at the
 * start of every case, so no case sees another's charges. `api` records what
 * a request did in the ledger; it holds the same functions as the package's
 * `recordEffect` and friends.
 *
 * @example
 * // mocks/billing.mjs, with `module: ./mocks/billing.mjs` in the scenario
 * import { http, HttpResponse } from 'msw';
 *
 * export default function billing({ recordEffect }) {
 *   const charges = [];
 *   return [
 *     http.post('https://api.billing.example/v1/charges', async ({ request }) => {
 *       const charge = { id: `ch_${charges.length + 1}`, ...(await request.json()) };
 *       charges.push(charge);
 *       recordEffect({ route: 'POST /v1/charges', resourceId: charge.id });
 *       return HttpResponse.json(charge, { status: 201 });
 *     }),
 *   ];
 * }
 */
export type HandlersFactory = (api: UpstreamApi) => readonly RequestHandler[];

export interface CustomOptions {
  module: string;
  export: string;
  baseUrl?: string | undefined;
  deduplicates: boolean;
  lookup: boolean;
  noun: string;
  ignoreFields: string[];
}

/** Where a custom upstream is declared: relative module paths start in `dir`, messages name `file` and the upstream. */
export interface CustomOrigin {
  /** The upstream's name in the scenario (messages say `upstreams.NAME.module`). */
  upstream: string;
  /** Absolute folder of the scenario file. */
  dir: string;
  /** The scenario file as the user named it. */
  file?: string | undefined;
}

/**
 * An upstream made of the user's own msw request handlers, imported from
 * `options.module`. Its export is a `HandlersFactory` (called per case, so each
 * case starts fresh) or a plain array of handlers (whose state, if any, the
 * harness cannot reset: only `{ once: true }` handlers are restored per case).
 *
 * The handlers run behind one catch-all handler that does two things for them:
 * - with `baseUrl`, it rewrites the request URL from the harness's address to
 *   the one the handlers were written for (`http://127.0.0.1:PORT/charges` →
 *   `https://api.billing.example/v1/charges`), by cloning the request, so
 *   existing handlers with absolute URLs match unchanged, over loopback and
 *   in-process alike; the ledger keeps the path the target actually called;
 * - a handler that throws is answered 500 (and said on stderr) instead of
 *   leaving the request unfinished.
 *
 * A handler that commits must call `recordEffect`: a mutating request whose
 * handler records nothing is kept in the ledger with no effect.
 *
 * Throws RetryproofError (SCENARIO_INVALID, exit 2) when the module cannot be
 * imported, lacks the export, or exports something else than handlers.
 */
export async function customModel(options: CustomOptions, origin: CustomOrigin): Promise<UpstreamModel> {
  const modulePath = path.resolve(origin.dir, options.module);
  const at = (field: 'module' | 'export'): ErrorWhere => ({ file: origin.file, field: `upstreams.${origin.upstream}.${field}` });
  const exportName = options.export;

  let namespace: Record<string, unknown>;
  registerPackageFallback();
  try {
    namespace = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  } catch (error) {
    throw new RetryproofError(
      'SCENARIO_INVALID',
      `cannot load the upstream module ${modulePath}: ${oneLine(error)}`,
      at('module'),
      `fix the module so that Node can import it (\`node ${modulePath}\` shows the error), or point module at another file`,
      { cause: error },
    );
  }
  if (!(exportName in namespace)) {
    const names = Object.keys(namespace).sort();
    throw new RetryproofError(
      'SCENARIO_INVALID',
      `${modulePath} has no export "${exportName}" (it exports: ${names.length > 0 ? names.join(', ') : 'nothing'})`,
      at('export'),
      'name the export that holds the handlers: a factory (api) => handlers, or an array of msw request handlers',
    );
  }
  const exported = namespace[exportName];
  const fixShape = 'export a factory (api) => [http.post(...), ...] (preferred: called per case, so each case starts fresh) or an array of msw request handlers';

  let make: () => readonly RequestHandler[];
  if (typeof exported === 'function') {
    const factory = exported as HandlersFactory;
    make = () => {
      let produced: unknown;
      try {
        produced = factory(upstreamApi);
      } catch (error) {
        throw new RetryproofError('SCENARIO_INVALID', `the factory "${exportName}" of ${modulePath} threw: ${oneLine(error)}`, at('export'), 'make the factory return its handlers without throwing', { cause: error });
      }
      return handlersOf(produced, `the factory "${exportName}" of ${modulePath} returned`, at('export'), fixShape);
    };
  } else if (Array.isArray(exported)) {
    const handlers = handlersOf(exported, `the export "${exportName}" of ${modulePath} is`, at('export'), fixShape);
    make = () => {
      handlers.forEach(restore);
      return handlers;
    };
  } else {
    throw new RetryproofError(
      'SCENARIO_INVALID',
      `the export "${exportName}" of ${modulePath} is ${describeValue(exported)}: neither an array of msw request handlers nor a factory (api) => handlers`,
      at('export'),
      fixShape,
    );
  }

  // Called once now, so a factory's mistakes stop the run before it starts (exit 2).
  let current = make();
  const base = options.baseUrl ? new URL(options.baseUrl) : undefined;
  const basePath = base ? base.pathname.replace(/\/+$/, '') : '';

  const front = http.all('*', async ({ request }) => {
    const url = new URL(request.url);
    const forwarded = base ? await withUrl(request, `${base.origin}${basePath}${url.pathname}${url.search}`) : request;
    // Relative handler paths resolve against the base URL (or the harness's own origin).
    const resolveFrom = base ? `${base.origin}${basePath}/` : `${url.origin}/`;
    try {
      return await getResponse([...current], forwarded, { baseUrl: resolveFrom });
    } catch (error) {
      process.stderr.write(`retryproof: a handler of upstream ${origin.upstream} (${modulePath}) threw on ${request.method} ${url.pathname}: ${oneLine(error)}\n`);
      return HttpResponse.json(
        { error: `retryproof: a handler of upstream ${origin.upstream} threw: ${oneLine(error)}` },
        { status: 500 },
      );
    }
  });

  return {
    handlers: [front],
    reset() {
      current = make();
    },
    traits: {
      deduplicates: options.deduplicates,
      lookup: options.lookup,
      noun: options.noun,
      ignoreFields: options.ignoreFields,
    },
  };
}

/** The same request at another URL (its body copied, the original left unread). */
async function withUrl(request: Request, url: string): Promise<Request> {
  const method = request.method;
  const body = method === 'GET' || method === 'HEAD' ? undefined : await request.clone().arrayBuffer();
  return new Request(url, {
    method,
    headers: request.headers,
    body: body && body.byteLength > 0 ? body : undefined,
  });
}

/**
 * msw handlers are recognised by shape, not `instanceof`: the user's module may
 * import its own copy of msw.
 */
function isHandler(value: unknown): value is RequestHandler {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { run?: unknown }).run === 'function' &&
    typeof (value as { info?: unknown }).info === 'object'
  );
}

function handlersOf(value: unknown, what: string, where: ErrorWhere, fix: string): readonly RequestHandler[] {
  if (value && typeof (value as { then?: unknown }).then === 'function') {
    throw new RetryproofError('SCENARIO_INVALID', `${what} a Promise: a factory must return its handlers synchronously`, where, 'do asynchronous setup at the top level of the module, and return the handlers array from the factory');
  }
  if (!Array.isArray(value)) {
    throw new RetryproofError('SCENARIO_INVALID', `${what} ${describeValue(value)}, not an array of msw request handlers`, where, fix);
  }
  const bad = value.findIndex((item) => !isHandler(item));
  if (bad >= 0) {
    throw new RetryproofError(
      'SCENARIO_INVALID',
      `${what} an array whose item [${bad}] is ${describeValue(value[bad])}, not an msw request handler`,
      where,
      'every item must be made by msw (http.get(...), http.post(...), graphql.query(...))',
    );
  }
  return value as RequestHandler[];
}

/** A handler as new for the next case: `{ once: true }` handlers match again, generator resolvers start over. */
function restore(handler: RequestHandler): void {
  const h = handler as unknown as { restore?: () => void; reset?: () => void; isUsed?: boolean; options?: { once?: boolean } };
  if (typeof h.restore === 'function') h.restore();
  else if (h.options?.once) h.isUsed = false;
  if (typeof h.reset === 'function') h.reset();
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${Object.keys(value).slice(0, 5).join(', ') || 'no keys'})`;
  if (typeof value === 'string') return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)})`;
  return `a ${typeof value} (${String(value)})`;
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n').find((line) => line.trim() !== '')?.trim() ?? 'unknown error';
}
