import { http } from 'msw';
import { parseIdempotencyKey } from '../idempotency-key.js';
import type { FastRoutes, ModelAnswer, ModelContext, UpstreamModel } from '../model.js';
import { ambientContext, headerValue, jsonResponse } from './answer.js';
import { plainPath } from './plain-path.js';
import { KeyStore } from './key-store.js';
import { decodeBody } from './request-body.js';
import { resourceStyle, type ResourceStyleName } from './resource-style.js';

export interface ResourceOptions {
  path: string;
  honoursIdempotencyKey: boolean;
  clientRefField: string;
  noun: string;
  ignoreFields: string[];
  /** The shape of its answers (default plain: the harness's own). */
  style?: ResourceStyleName;
}

interface StoredRecord {
  record: Record<string, unknown>;
  key: string | null;
}

/** What a create needs of a request, however it arrived (msw or a fast route). */
interface CreateRequest {
  text: string;
  contentType: string | null;
  keyHeader: string | null;
}

/**
 * A resource creator: POST creates a record from a JSON or form body. When it
 * honours Idempotency-Key it behaves like Stripe: a replay returns the first
 * response (with `Idempotent-Replayed: true`), other parameters under the same
 * key are refused, and a key still in flight gets 409. A careful client can
 * look its records up by a client reference or by key: `GET path?ref=VALUE`.
 * Its style decides how the answers are worded (see resource-style.ts).
 */
export function resourceModel(options: ResourceOptions): UpstreamModel {
  const style = resourceStyle(options.style ?? 'plain', options.noun, options.path);
  const records = new Map<string, StoredRecord>();
  const keys = new KeyStore();
  let sequence = 0;
  const collection = `*${options.path}`;
  const createRoute = `POST ${options.path}`;

  // The logic, once: called by the msw handlers and by the fast routes.
  const create = ({ text, contentType, keyHeader }: CreateRequest, context: ModelContext): ModelAnswer => {
    const decoded = decodeBody(text, contentType);
    if (!decoded.ok) {
      context.rejected();
      return style.badBody(decoded.problem);
    }
    const body = decoded.fields;
    const key = parseIdempotencyKey(keyHeader);
    const answer = (reply: ModelAnswer): ModelAnswer => (key === null ? reply : withHeaders(reply, style.keyHeaders(key)));
    let settle: ((response: { status: number; body: unknown }) => void) | undefined;
    if (options.honoursIdempotencyKey && key !== null) {
      const admission = keys.admit(key, body, text);
      if (admission.kind === 'reused') {
        context.rejected();
        return answer(style.keyReused(key));
      }
      if (admission.kind === 'in-flight') {
        context.rejected();
        return answer(style.keyInFlight(key));
      }
      if (admission.kind === 'replay') {
        context.replayed();
        return answer({ status: admission.response.status, json: admission.response.body, headers: { 'idempotent-replayed': 'true' } });
      }
      settle = admission.settle;
    }
    sequence += 1;
    const id = style.id(sequence);
    const record = style.record(body, id, key);
    records.set(id, { record, key });
    context.commit({ route: createRoute, resourceId: id, body });
    settle?.({ status: style.createdStatus, body: record });
    return answer({ status: style.createdStatus, json: record });
  };
  const list = (ref: string | null): ModelAnswer => {
    const data: Array<Record<string, unknown>> = [];
    for (const { record, key } of records.values()) {
      if (ref === null || record[options.clientRefField] === ref || key === ref) data.push(record);
    }
    return { status: 200, json: style.list(data) };
  };
  const get = (id: string): ModelAnswer => {
    const stored = records.get(id);
    return stored ? { status: 200, json: stored.record } : style.notFound(id);
  };

  const handlers = [
    http.post(collection, async ({ request }) =>
      jsonResponse(
        create(
          { text: await request.text(), contentType: request.headers.get('content-type'), keyHeader: request.headers.get('idempotency-key') },
          ambientContext,
        ),
      ),
    ),
    http.get(collection, ({ request }) => jsonResponse(list(new URL(request.url).searchParams.get('ref')))),
    http.get(`${collection}/:id`, ({ params }) => jsonResponse(get(String(params.id)))),
  ];

  const paths = plainPath(options.path);
  const fast: FastRoutes | undefined = paths && {
    route(method, pathname) {
      if (paths.isCollection(pathname)) {
        if (method === 'POST') {
          return (request, context) =>
            create(
              { text: request.text, contentType: headerValue(request.headers, 'content-type'), keyHeader: headerValue(request.headers, 'idempotency-key') },
              context,
            );
        }
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
    errorBody: style.errorBody,
    traits: {
      deduplicates: options.honoursIdempotencyKey,
      lookup: true,
      noun: options.noun,
      ignoreFields: options.ignoreFields,
    },
  };
}

function withHeaders(answer: ModelAnswer, headers: Record<string, string>): ModelAnswer {
  return Object.keys(headers).length === 0 ? answer : { ...answer, headers: { ...answer.headers, ...headers } };
}
