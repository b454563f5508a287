import { http } from 'msw';
import { parseIdempotencyKey } from '../idempotency-key.js';
import type { UpstreamModel } from '../model.js';
import { ambientContext, respond } from './answer.js';
import type { RecordedExchange } from './har-file.js';
import { canonicalJson, KeyStore } from './key-store.js';
import { decodeBody } from './request-body.js';
import { resourceStyle } from './resource-style.js';

export interface HarOptions {
  exchanges: readonly RecordedExchange[];
  /** Only the exchanges recorded with this origin (`https://api.stripe.com`); all when absent. */
  origin?: string | undefined;
  honoursIdempotencyKey: boolean;
  noun: string;
  ignoreFields: string[];
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
// Framing headers describe the recorded connection, not this one.
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'content-encoding']);

interface Answer {
  status: number;
  body: Buffer;
  headers: Record<string, string>;
}

/**
 * An upstream that answers as a HAR recording did: a request is matched to
 * the recorded exchanges of its method, path and query (any order), and,
 * where those were recorded with different bodies, its body. The n-th
 * request of a case that matches gets the n-th recorded answer, the last one
 * again after that, so an incident's sequence (the lost answer, then the
 * retry's) comes back in its order. A mutating exchange (POST, PUT, PATCH,
 * DELETE) recorded with a 2xx answer is an effect. With
 * `honoursIdempotencyKey` it keeps keys as the resource model does.
 * Faults apply to these requests as to any upstream's: the pipeline is in front.
 */
export function harModel(options: HarOptions): UpstreamModel {
  const style = resourceStyle('plain', options.noun, '/');
  const keys = new KeyStore();
  const groups = new Map<string, RecordedExchange[]>();
  for (const exchange of options.exchanges) {
    if (options.origin && exchange.url.origin !== new URL(options.origin).origin) continue;
    const key = exchangeKey(exchange.method, exchange.url);
    groups.set(key, [...(groups.get(key) ?? []), exchange]);
  }
  const served = new Map<string, number>();

  const pick = (method: string, url: URL, text: string, contentType: string | null): RecordedExchange | undefined => {
    const key = exchangeKey(method, url);
    const recorded = groups.get(key);
    if (!recorded) return undefined;
    // Told apart by body only where the recording has several bodies for one request line.
    const bodies = new Set(recorded.map((exchange) => bodyText(exchange.requestText, exchange.requestType)));
    const own = bodyText(text, contentType);
    const same = bodies.size > 1 ? recorded.filter((exchange) => bodyText(exchange.requestText, exchange.requestType) === own) : [];
    const candidates = same.length > 0 ? same : recorded;
    const slot = `${key}\n${same.length > 0 ? own : ''}`;
    const count = served.get(slot) ?? 0;
    served.set(slot, count + 1);
    return candidates[Math.min(count, candidates.length - 1)];
  };

  const handler = http.all('*', async ({ request }) => {
    const url = new URL(request.url);
    const text = MUTATING.has(request.method) ? await request.text() : '';
    const contentType = request.headers.get('content-type');
    const exchange = pick(request.method, url, text, contentType);
    if (!exchange) return undefined;
    const answer: Answer = { status: exchange.status, body: exchange.responseBody, headers: recordedHeaders(exchange) };
    if (!MUTATING.has(request.method) || exchange.status < 200 || exchange.status > 299) return raw(answer);

    const decoded = decodeBody(text, contentType);
    const fields = decoded.ok ? decoded.fields : { body: text };
    const key = parseIdempotencyKey(request.headers.get('idempotency-key'));
    if (options.honoursIdempotencyKey && key !== null) {
      const admission = keys.admit(key, fields, text, `${request.method} ${url.pathname}`);
      if (admission.kind === 'reused') return rejected(style.keyReused(key));
      if (admission.kind === 'in-flight') return rejected(style.keyInFlight(key));
      if (admission.kind === 'replay') {
        ambientContext.replayed();
        const stored = admission.response;
        return raw({ status: stored.status, body: stored.body as Buffer, headers: { ...stored.headers, 'idempotent-replayed': 'true' } });
      }
      admission.settle({ status: answer.status, body: answer.body, headers: answer.headers });
    }
    ambientContext.commit({ resourceId: idIn(answer.body) ?? `${exchange.index + 1}`, body: fields });
    return raw(answer);
  });

  return {
    handlers: [handler],
    reset() {
      keys.clear();
      served.clear();
    },
    errorBody: style.errorBody,
    traits: {
      deduplicates: options.honoursIdempotencyKey,
      // A GET answers what was recorded, not what this case created.
      lookup: false,
      noun: options.noun,
      ignoreFields: options.ignoreFields,
    },
  };
}

/** `METHOD /path?a=1&b=2`, the query's parameters sorted: the same request line however the client ordered them. */
export function exchangeKey(method: string, url: URL): string {
  const query = [...url.searchParams.entries()].sort(([a, x], [b, y]) => a.localeCompare(b) || x.localeCompare(y));
  return `${method.toUpperCase()} ${url.pathname}?${new URLSearchParams(query).toString()}`;
}

function bodyText(text: string, contentType: string | null): string {
  const decoded = decodeBody(text, contentType);
  return decoded.ok ? canonicalJson(decoded.fields) : text;
}

function recordedHeaders(exchange: RecordedExchange): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { name, value } of exchange.responseHeaders) {
    const lower = name.toLowerCase();
    if (FRAMING.has(lower) || lower.startsWith(':')) continue;
    headers[lower] = headers[lower] === undefined ? value : `${headers[lower]}, ${value}`;
  }
  return headers;
}

function raw(answer: Answer): Response {
  const empty = answer.body.length === 0 || answer.status === 204 || answer.status === 304;
  return new Response(empty ? null : new Uint8Array(answer.body), { status: answer.status, headers: answer.headers });
}

function rejected(answer: { status: number; json: unknown; headers?: Record<string, string> }): Response {
  ambientContext.rejected();
  return respond(answer);
}

function idIn(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { id?: unknown };
    return parsed && typeof parsed === 'object' && parsed.id !== undefined ? String(parsed.id) : undefined;
  } catch {
    return undefined;
  }
}
