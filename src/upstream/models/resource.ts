import { http } from 'msw';
import { createHash } from 'node:crypto';
import { parseIdempotencyKey } from '../idempotency-key.js';
import type { FastRoutes, ModelAnswer, ModelContext, UpstreamModel } from '../model.js';
import { ambientContext, headerValue, jsonResponse } from './answer.js';
import { plainPath } from './plain-path.js';

export interface ResourceOptions {
  path: string;
  honoursIdempotencyKey: boolean;
  clientRefField: string;
  noun: string;
  ignoreFields: string[];
}

interface StoredKey {
  bodyHash: string;
  /** Absent while the first request with this key is still being served. */
  response?: { status: number; body: unknown };
}

/**
 * A resource creator: POST creates a record. When it honours Idempotency-Key it
 * behaves like Stripe: a replay returns the first response (with
 * `Idempotent-Replayed: true`), another body under the same key gets 422, and a
 * key still in flight gets 409. A careful client can look its records up by a
 * client reference or by key: `GET path?ref=VALUE`.
 */
export function resourceModel(options: ResourceOptions): UpstreamModel {
  const records = new Map<string, Record<string, unknown>>();
  const keys = new Map<string, StoredKey>();
  let sequence = 0;
  const prefix = options.noun.slice(0, 3).toLowerCase() || 'rec';
  const collection = `*${options.path}`;
  const createRoute = `POST ${options.path}`;

  // The logic, once: called by the msw handlers and by the fast routes.
  const create = (text: string, keyHeader: string | null, context: ModelContext): ModelAnswer => {
    let body: Record<string, unknown> = {};
    if (text) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
      } catch {
        context.rejected();
        return { status: 400, json: { error: 'body must be JSON' } };
      }
    }
    const key = parseIdempotencyKey(keyHeader);
    let inFlight: StoredKey | undefined;
    if (options.honoursIdempotencyKey && key !== null) {
      // The same JSON written another way (key order, spaces) is the same request.
      const bodyHash = createHash('sha256').update(text ? canonicalJson(body) : '').digest('hex');
      const stored = keys.get(key);
      if (stored && stored.bodyHash !== bodyHash) {
        context.rejected();
        return { status: 422, json: { error: 'Idempotency-Key reused with a different request body' } };
      }
      if (stored && !stored.response) {
        context.rejected();
        return { status: 409, json: { error: 'a request with this Idempotency-Key is still in flight' } };
      }
      if (stored?.response) {
        context.replayed();
        return { status: stored.response.status, json: stored.response.body, headers: { 'idempotent-replayed': 'true' } };
      }
      inFlight = { bodyHash };
      keys.set(key, inFlight);
    }
    sequence += 1;
    const id = `${prefix}_${sequence}`;
    // `{ ...body, id, idempotencyKey, created }`, built without the spread: see copyFields.
    const record = copyFields(body);
    record.id = id;
    record.idempotencyKey = key;
    record.created = new Date().toISOString();
    records.set(id, record);
    context.commit({ route: createRoute, resourceId: id, body });
    if (inFlight) inFlight.response = { status: 201, body: record };
    return { status: 201, json: record };
  };
  const list = (ref: string | null): ModelAnswer => {
    const data = [...records.values()].filter(
      (record) => ref === null || record[options.clientRefField] === ref || record.idempotencyKey === ref,
    );
    return { status: 200, json: { data } };
  };
  const get = (id: string): ModelAnswer => {
    const record = records.get(id);
    return record ? { status: 200, json: record } : { status: 404, json: { error: 'not found' } };
  };

  const handlers = [
    http.post(collection, async ({ request }) => jsonResponse(create(await request.text(), request.headers.get('idempotency-key'), ambientContext))),
    http.get(collection, ({ request }) => jsonResponse(list(new URL(request.url).searchParams.get('ref')))),
    http.get(`${collection}/:id`, ({ params }) => jsonResponse(get(String(params.id)))),
  ];

  const paths = plainPath(options.path);
  const fast: FastRoutes | undefined = paths && {
    route(method, pathname) {
      if (paths.isCollection(pathname)) {
        if (method === 'POST') return (request, context) => create(request.text, headerValue(request.headers, 'idempotency-key'), context);
        if (method === 'GET') return (request) => list(request.url.searchParams.get('ref'));
        return undefined;
      }
      const id = method === 'GET' ? paths.itemId(pathname) : undefined;
      return id === undefined ? undefined : () => get(id);
    },
  };

  return {
    handlers,
    ...(fast && { fast }),
    reset() {
      records.clear();
      keys.clear();
      sequence = 0;
    },
    traits: {
      deduplicates: options.honoursIdempotencyKey,
      lookup: true,
      noun: options.noun,
      ignoreFields: options.ignoreFields,
    },
  };
}

/**
 * `{ ...body }`, field by field: on Node 20 (V8 11.3) an object made by a
 * spread is slow to add properties to, microseconds per record.
 */
function copyFields(body: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(body)) {
    // Defined, not assigned: a JSON field named __proto__ stays a field, as in a spread.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: body[key], enumerable: true, writable: true, configurable: true });
    else copy[key] = body[key];
  }
  return copy;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
