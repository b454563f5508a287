import { http } from 'msw';
import type { ModelAnswer, ModelContext, UpstreamModel } from '../model.js';
import { ambientContext, headerValue, jsonResponse } from './answer.js';
import { plainPath } from './plain-path.js';
import { decodeForm, isForm } from './request-body.js';

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

  const deploy = (text: string, contentType: string | null, context: ModelContext): ModelAnswer => {
    let body: unknown;
    if (isForm(contentType)) body = decodeForm(text);
    else {
      try {
        body = JSON.parse(text);
      } catch {
        context.rejected();
        return { status: 400, json: { error: 'body must be JSON ({"version": "..."}) or a form (version=...)' } };
      }
    }
    const version = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).version : undefined;
    if ((typeof version !== 'string' || version === '') && typeof version !== 'number') {
      context.rejected();
      return { status: 400, json: { error: '"version" is required (a non-empty string or a number)' } };
    }
    const wanted = String(version);
    if (wanted === deployed) {
      context.unchanged();
      return { status: 200, json: { version: deployed, changed: false } };
    }
    const previous = deployed;
    deployed = wanted;
    context.commit({ route, resourceId: wanted, body });
    return { status: 200, json: { version: deployed, previous, changed: true } };
  };
  const read = (): ModelAnswer => ({ status: 200, json: { version: deployed } });

  const paths = plainPath(options.path);
  return {
    handlers: [
      http.put(`*${options.path}`, async ({ request }) => jsonResponse(deploy(await request.text(), request.headers.get('content-type'), ambientContext))),
      http.get(`*${options.path}`, () => jsonResponse(read())),
    ],
    ...(paths && {
      fast: {
        route(method: string, pathname: string) {
          if (!paths.isCollection(pathname)) return undefined;
          if (method === 'PUT') return (request, context) => deploy(request.text, headerValue(request.headers, 'content-type'), context);
          return method === 'GET' ? read : undefined;
        },
      },
    }),
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
