import { http, HttpResponse } from 'msw';
import { createHash } from 'node:crypto';
import { recordEffect, recordReplay, recordRejection } from '../context.js';
import { parseIdempotencyKey } from '../idempotency-key.js';
import type { UpstreamModel } from '../model.js';

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

  const handlers = [
    http.post(collection, async ({ request }) => {
      const text = await request.text();
      let body: Record<string, unknown> = {};
      if (text) {
        try {
          const parsed: unknown = JSON.parse(text);
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
        } catch {
          recordRejection();
          return HttpResponse.json({ error: 'body must be JSON' }, { status: 400 });
        }
      }
      const key = parseIdempotencyKey(request.headers.get('idempotency-key'));
      // The same JSON written another way (key order, spaces) is the same request.
      const bodyHash = createHash('sha256').update(text ? canonicalJson(body) : '').digest('hex');
      if (options.honoursIdempotencyKey && key !== null) {
        const stored = keys.get(key);
        if (stored && stored.bodyHash !== bodyHash) {
          recordRejection();
          return HttpResponse.json({ error: 'Idempotency-Key reused with a different request body' }, { status: 422 });
        }
        if (stored && !stored.response) {
          recordRejection();
          return HttpResponse.json({ error: 'a request with this Idempotency-Key is still in flight' }, { status: 409 });
        }
        if (stored?.response) {
          recordReplay();
          return HttpResponse.json(stored.response.body as Record<string, unknown>, {
            status: stored.response.status,
            headers: { 'idempotent-replayed': 'true' },
          });
        }
        keys.set(key, { bodyHash });
      }
      sequence += 1;
      const record = { ...body, id: `${prefix}_${sequence}`, idempotencyKey: key, created: new Date().toISOString() };
      records.set(record.id, record);
      recordEffect({ route: createRoute, resourceId: record.id, body });
      if (options.honoursIdempotencyKey && key !== null) keys.set(key, { bodyHash, response: { status: 201, body: record } });
      return HttpResponse.json(record, { status: 201 });
    }),
    http.get(collection, ({ request }) => {
      const ref = new URL(request.url).searchParams.get('ref');
      const data = [...records.values()].filter(
        (record) => ref === null || record[options.clientRefField] === ref || record.idempotencyKey === ref,
      );
      return HttpResponse.json({ data });
    }),
    http.get(`${collection}/:id`, ({ params }) => {
      const record = records.get(String(params.id));
      return record ? HttpResponse.json(record) : HttpResponse.json({ error: 'not found' }, { status: 404 });
    }),
  ];

  return {
    handlers,
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

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
