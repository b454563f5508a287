import { http, HttpResponse } from 'msw';
import { recordEffect, recordRejection, recordUnchanged } from '../context.js';
import type { UpstreamModel } from '../model.js';

export interface DeployerOptions {
  path: string;
  noun: string;
  ignoreFields: string[];
  /** The version deployed when each case starts (none: null). */
  initialVersion?: string | null;
}

/**
 * A deployer: PUT `path` with `{ version }` sets the deployed version, GET
 * `path` answers it. Naturally idempotent, as "set" operations are: putting
 * the version that is already deployed is answered 200 `{ changed: false }`
 * and is no effect (ledger outcome `unchanged`); a new version is one effect,
 * answered 200 `{ changed: true, previous }`. So a blind retry of a deploy is
 * safe, with or without a key, and a client can always read where it stands.
 */
export function deployerModel(options: DeployerOptions): UpstreamModel {
  const initial = options.initialVersion ?? null;
  let deployed: string | null = initial;
  const route = `PUT ${options.path}`;
  const handlers = [
    http.put(`*${options.path}`, async ({ request }) => {
      const text = await request.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        recordRejection();
        return HttpResponse.json({ error: 'body must be JSON: {"version": "..."}' }, { status: 400 });
      }
      const version = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).version : undefined;
      if ((typeof version !== 'string' || version === '') && typeof version !== 'number') {
        recordRejection();
        return HttpResponse.json({ error: '"version" is required (a non-empty string or a number)' }, { status: 400 });
      }
      const wanted = String(version);
      if (wanted === deployed) {
        recordUnchanged();
        return HttpResponse.json({ version: deployed, changed: false });
      }
      const previous = deployed;
      deployed = wanted;
      recordEffect({ route, resourceId: wanted, body });
      return HttpResponse.json({ version: deployed, previous, changed: true });
    }),
    http.get(`*${options.path}`, () => HttpResponse.json({ version: deployed })),
  ];
  return {
    handlers,
    reset() {
      deployed = initial;
    },
    traits: {
      // A repeated request adds no effect: deduplicated by nature rather than by key.
      deduplicates: true,
      // GET answers the deployed version, so a client can see whether its deploy landed.
      lookup: true,
      noun: options.noun,
      ignoreFields: options.ignoreFields,
    },
  };
}
