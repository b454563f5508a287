import { http, HttpResponse } from 'msw';
import { recordEffect, recordRejection } from '../context.js';
import type { UpstreamModel } from '../model.js';

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
  const handlers = [
    http.post(`*${options.path}`, async ({ request }) => {
      const text = await request.text();
      let body: Record<string, unknown> = {};
      if (text.trim()) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          recordRejection();
          return HttpResponse.json({ error: 'body must be JSON (or empty)' }, { status: 400 });
        }
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
          recordRejection();
          return HttpResponse.json({ error: 'body must be a JSON object, e.g. {"by": 1}' }, { status: 400 });
        }
        body = parsed as Record<string, unknown>;
      }
      const by = body.by ?? 1;
      if (typeof by !== 'number' || !Number.isSafeInteger(by)) {
        recordRejection();
        return HttpResponse.json({ error: '"by" must be an integer' }, { status: 400 });
      }
      value += by;
      // The id of an increment is the value it produced.
      recordEffect({ route, resourceId: String(value), body });
      return HttpResponse.json({ value });
    }),
    http.get(`*${options.path}`, () => HttpResponse.json({ value })),
  ];
  return {
    handlers,
    reset() {
      value = 0;
    },
    traits: { deduplicates: false, lookup: false, noun: options.noun, ignoreFields: options.ignoreFields },
  };
}
