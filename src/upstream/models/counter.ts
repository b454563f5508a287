import { http } from 'msw';
import type { ModelAnswer, ModelContext, UpstreamModel } from '../model.js';
import { ambientContext, headerValue, jsonResponse } from './answer.js';
import { plainPath } from './plain-path.js';
import { decodeForm, isForm } from './request-body.js';

export interface CounterOptions {
  path: string;
  noun: string;
  ignoreFields: string[];
}

/**
 * A counter: every POST to `path` adds to it (1, or the body's integer `by`)
 * and answers `{ value }`, the new value; GET `path` answers the value, a read.
 * It is never idempotent: it takes no key and every POST is one effect, and
 * reading the value cannot tell a client whether its own increment landed
 * (another may have moved it), so it offers no look-up either. After a lost
 * answer no client can be exactly-once against it.
 */
export function counterModel(options: CounterOptions): UpstreamModel {
  let value = 0;
  const route = `POST ${options.path}`;

  const add = (text: string, contentType: string | null, context: ModelContext): ModelAnswer => {
    let body: Record<string, unknown> = {};
    const form = isForm(contentType);
    if (form && text) body = decodeForm(text);
    else if (text.trim()) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        context.rejected();
        return { status: 400, json: { error: 'body must be JSON (or empty)' } };
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
        context.rejected();
        return { status: 400, json: { error: 'body must be a JSON object, e.g. {"by": 1}' } };
      }
      body = parsed as Record<string, unknown>;
    }
    // A form carries no types: its "by" is the integer written as text.
    const by = form && typeof body.by === 'string' && /^-?\d+$/.test(body.by) ? Number(body.by) : (body.by ?? 1);
    if (typeof by !== 'number' || !Number.isSafeInteger(by)) {
      context.rejected();
      return { status: 400, json: { error: '"by" must be an integer' } };
    }
    value += by;
    // The id of an increment is the value it produced.
    context.commit({ route, resourceId: String(value), body });
    return { status: 200, json: { value } };
  };
  const read = (): ModelAnswer => ({ status: 200, json: { value } });

  const paths = plainPath(options.path);
  return {
    handlers: [
      http.post(`*${options.path}`, async ({ request }) => jsonResponse(add(await request.text(), request.headers.get('content-type'), ambientContext))),
      http.get(`*${options.path}`, () => jsonResponse(read())),
    ],
    ...(paths && {
      fast: {
        route(method: string, pathname: string) {
          if (!paths.isCollection(pathname)) return undefined;
          if (method === 'POST') return (request, context) => add(request.text, headerValue(request.headers, 'content-type'), context);
          return method === 'GET' ? read : undefined;
        },
      },
    }),
    reset() {
      value = 0;
    },
    traits: { deduplicates: false, lookup: false, noun: options.noun, ignoreFields: options.ignoreFields },
  };
}
