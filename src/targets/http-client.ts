import { Agent, request, type Dispatcher } from 'undici';
import type { InvocationVariant } from '../caller/caller.js';
import type { OperationSpec } from '../scenario/schema.js';
import { renderTemplate } from '../scenario/template.js';

type Input = OperationSpec['input'];

/** The default cap on the response body kept per invocation (as a command's stdout is bounded). */
export const MAX_BODY_BYTES = 1_048_576;

/** One request as the harness sends it (and records it in the invocation row). */
export interface SentRequest {
  method: string;
  /** Path and query, templates rendered. */
  path: string;
  /** Header names as the scenario spells them. */
  headers: Record<string, string>;
  /** The JSON body (absent when the operation has none). */
  body?: unknown;
}

/** What the caller saw. */
export interface HttpObservation {
  /** The status, or null when no complete response came (abandoned, refused, reset, truncated). */
  httpStatus: number | null;
  /** Response headers, names lower-cased; null without a response. */
  headers: Record<string, string> | null;
  /** The body text, up to the limit (what arrived, also when the body was cut off). */
  bodyText: string;
  /** The body parsed as JSON when it is JSON, else null. */
  bodyJson: unknown;
  /** The body was longer than the limit and was cut. */
  bodyTruncated: boolean;
  /** A transport error in words (no response), else null. */
  error: string | null;
  /** The caller gave up at its timeout. */
  abandoned: boolean;
  durationMs: number;
}

/** An undici Agent for one session: no keep-alive, so a restarted or crashed API never meets a stale pooled connection. */
export function createClientAgent(): Agent {
  return new Agent({ pipelining: 0 });
}

/**
 * Builds the request an invocation sends: the operation's method, path,
 * headers and JSON body with templates rendered; the idempotency key in
 * `operation.keyHeader` (unless the variant omits it, or the scenario's own
 * headers already carry it, e.g. in the quoted Structured Field form); the
 * dry-run headers and query for a dry run. In the path and query, template
 * values are percent-encoded. A body string that is exactly `{{input.X}}`
 * takes the input value itself, with its type.
 */
export function buildRequest(
  operation: OperationSpec,
  values: ReadonlyMap<string, string>,
  input: Input,
  key: string,
  variant: InvocationVariant = {},
): SentRequest {
  const spec = operation.request;
  if (!spec) throw new Error(`operation "${operation.name}" has no request (the scenario validator should have caught this)`);
  const render = (text: string): string => renderTemplate(text, values);
  const encoded = new Map([...values].map(([name, value]) => [name, encodeURIComponent(value)]));
  let path = renderTemplate(spec.path, encoded);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.headers)) headers[name] = render(value);
  const keyName = operation.keyHeader.toLowerCase();
  const ownKey = Object.keys(headers).find((name) => name.toLowerCase() === keyName);
  if (variant.omitKey) {
    for (const name of Object.keys(headers)) if (name.toLowerCase() === keyName) delete headers[name];
  } else if (ownKey === undefined) {
    headers[operation.keyHeader] = key;
  }
  if (variant.dryRun && operation.dryRun) {
    for (const [name, value] of Object.entries(operation.dryRun.headers)) headers[name] = render(value);
    const query = Object.entries(operation.dryRun.query).map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(render(value))}`);
    if (query.length > 0) path += `${path.includes('?') ? '&' : '?'}${query.join('&')}`;
  }
  const sent: SentRequest = { method: spec.method, path, headers };
  if (spec.body !== undefined) {
    sent.body = renderBody(spec.body, values, input);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  return sent;
}

const EXACT_INPUT = /^\{\{\s*input\.([^{}]+?)\s*\}\}$/;

function renderBody(value: unknown, values: ReadonlyMap<string, string>, input: Input): unknown {
  if (typeof value === 'string') {
    const exact = EXACT_INPUT.exec(value);
    if (exact && Object.hasOwn(input, exact[1]!)) return input[exact[1]!];
    return renderTemplate(value, values);
  }
  if (Array.isArray(value)) return value.map((item) => renderBody(item, values, input));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, renderBody(item, values, input)]));
  }
  return value;
}

export interface SendOptions {
  /** The caller gives up (aborts the request) after this long. */
  timeoutMs: number;
  maxBodyBytes?: number;
}

/**
 * Sends one request to `baseUrl` and observes the answer. Never throws for
 * what the network or the API does: a refused or reset connection, a body cut
 * off, or the caller's timeout (it abandons the request: the connection is
 * closed, whatever the API goes on to do) all give httpStatus null and an
 * error in words.
 */
export async function sendRequest(dispatcher: Dispatcher, baseUrl: string, sent: SentRequest, options: SendOptions): Promise<HttpObservation> {
  const started = performance.now();
  const limit = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const controller = new AbortController();
  let abandoned = false;
  const timer = setTimeout(() => {
    abandoned = true;
    controller.abort(new Error(`abandoned after ${options.timeoutMs} ms`));
  }, options.timeoutMs);
  const url = `${baseUrl.replace(/\/+$/, '')}${sent.path}`;
  let status: number | null = null;
  let headers: Record<string, string> | null = null;
  const chunks: Buffer[] = [];
  let kept = 0;
  let truncated = false;
  try {
    const response = await request(url, {
      dispatcher,
      method: sent.method as Dispatcher.HttpMethod,
      headers: sent.headers,
      body: sent.body === undefined ? undefined : JSON.stringify(sent.body),
      signal: controller.signal,
      // The caller's own timeout decides; undici's defaults are far longer.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    status = response.statusCode;
    headers = lowerCaseHeaders(response.headers);
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      const room = limit - kept;
      if (chunk.length > room) {
        if (room > 0) chunks.push(chunk.subarray(0, room));
        kept = limit;
        truncated = true;
        response.body.destroy();
        break;
      }
      chunks.push(chunk);
      kept += chunk.length;
    }
    const bodyText = Buffer.concat(chunks).toString('utf8');
    return {
      httpStatus: status,
      headers,
      bodyText,
      bodyJson: parseJsonBody(bodyText, headers['content-type']),
      bodyTruncated: truncated,
      error: null,
      abandoned: false,
      durationMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    const bodyText = Buffer.concat(chunks).toString('utf8');
    const after = status === null ? '' : ` (after status ${status} and ${kept} byte${kept === 1 ? '' : 's'} of the body)`;
    return {
      httpStatus: null,
      headers,
      bodyText,
      bodyJson: null,
      bodyTruncated: truncated,
      error: `${abandoned ? `abandoned after ${options.timeoutMs} ms` : describeTransportError(error)}${after}`,
      abandoned,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    clearTimeout(timer);
  }
}

function lowerCaseHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** The body as JSON when it is JSON (declared so, or plainly an object or array), else null. */
export function parseJsonBody(text: string, contentType: string | undefined): unknown {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const declared = contentType !== undefined && /[/+]json\b/i.test(contentType);
  if (!declared && !/^[[{]/.test(trimmed)) return null;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return null;
  }
}

/** A transport error in words, with its code. */
export function describeTransportError(error: unknown): string {
  const err = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    EPIPE: 'connection closed while sending',
    UND_ERR_SOCKET: 'connection closed by the API',
    UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
    UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
    UND_ERR_BODY_TIMEOUT: 'response body stalled',
    UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'response body shorter than its Content-Length',
  };
  const word = code ? words[code] : undefined;
  const message = err.cause?.message ?? err.message ?? String(error);
  if (word) return `${word} (${code}${message && !message.includes(word) ? `: ${message}` : ''})`;
  return code ? `${message} (${code})` : message;
}
