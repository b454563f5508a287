import type { ModelAnswer } from './model.js';

/** A request as the loopback server read it off the socket. */
export interface RawRequest {
  method: string;
  /** Path and query as the request line has them (node's `req.url`). */
  url: string;
  /** The Host header, if any. */
  host: string | undefined;
  /** Node's lower-case header record. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
}

/** An answer ready for a socket: no WHATWG Response behind it. */
export interface PlainResponse {
  status: number;
  /** Lower-case names in WHATWG `Headers` order (sorted), without content-length. */
  headers: Record<string, string>;
  bytes: Buffer;
}

/** The WHATWG Request msw needs, as the loopback server built it before the fast path (`href`: http://HOST + url). */
export function toRequest(raw: RawRequest, href: string): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const method = raw.method;
  return new Request(href, {
    method,
    headers,
    body: method === 'GET' || method === 'HEAD' || raw.body.length === 0 ? undefined : raw.body,
  });
}

const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json' });

/** What `HttpResponse.json(answer.json, answer)` holds, already serialised: the same status, headers and bytes on the wire. */
export function plainResponse(answer: ModelAnswer): PlainResponse {
  return { status: answer.status, headers: answer.headers ? withJsonType(answer.headers) : JSON_HEADERS, bytes: Buffer.from(JSON.stringify(answer.json) ?? '') };
}

function withJsonType(extra: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(extra)) merged[name.toLowerCase()] = value;
  // Sorted as a WHATWG Headers iterates, so the header order is msw's too.
  return Object.fromEntries(Object.keys(merged).sort().map((name) => [name, merged[name]!]));
}
