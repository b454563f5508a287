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
  /** The invocation whose own port (a loopback door) the request came in on, if any. */
  invocationHint?: number;
}

/** An answer ready for a socket: no WHATWG Response behind it. */
export interface PlainResponse {
  status: number;
  /** Lower-case names in the order the loopback server writes a Response's (sorted, content-length last). */
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

/** What `HttpResponse.json(answer.json, answer)` holds, already serialised: the same status, headers and bytes on the wire. */
export function plainResponse(answer: ModelAnswer): PlainResponse {
  const bytes = Buffer.from(JSON.stringify(answer.json) ?? '');
  const length = String(bytes.length);
  // A literal, not a spread: the common answer pays for no generic header code.
  const headers = answer.headers ? withJsonType(answer.headers, length) : { 'content-type': 'application/json', 'content-length': length };
  return { status: answer.status, headers, bytes };
}

function withJsonType(extra: Record<string, string>, length: string): Record<string, string> {
  const merged = new Map<string, string>([['content-type', 'application/json']]);
  for (const [name, value] of Object.entries(extra)) merged.set(name.toLowerCase(), value);
  merged.delete('content-length');
  merged.delete('transfer-encoding');
  // Sorted as a WHATWG Headers iterates, then the length, as the loopback server writes a Response.
  const headers: Record<string, string> = {};
  for (const name of [...merged.keys()].sort()) headers[name] = merged.get(name)!;
  headers['content-length'] = length;
  return headers;
}
