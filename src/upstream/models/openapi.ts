import { http } from 'msw';
import { parseIdempotencyKey } from '../idempotency-key.js';
import type { ModelAnswer, UpstreamModel } from '../model.js';
import { ambientContext, respond } from './answer.js';
import { KeyStore } from './key-store.js';
import type { DocumentOperation, OpenApiDocument } from './openapi-document.js';
import { decodeBody } from './request-body.js';
import { resourceStyle } from './resource-style.js';

export interface OpenApiOptions {
  document: OpenApiDocument;
  /** Every mutating operation honours Idempotency-Key (replay, 422 on other parameters, 409 in flight). */
  honoursIdempotencyKey: boolean;
  /** Per operationId, over the document-wide setting. */
  operations: Readonly<Record<string, { honoursIdempotencyKey?: boolean | undefined }>>;
  noun: string;
  ignoreFields: string[];
}

/**
 * An upstream built from an OpenAPI 3 document: every operation answers its
 * documented success status and body (the document's example, or one
 * generated from its schema). POST, PUT, PATCH and DELETE are mutating: each
 * answer is one effect, recorded on the route the target called
 * (`POST /repos/octo/app/issues`). Where an operation honours Idempotency-Key
 * it keeps keys as the resource model does (key-store.ts): a replay returns
 * the first answer with `Idempotent-Replayed: true`, other parameters under
 * the key get 422, a key in flight 409. A path no operation serves is left
 * unanswered, so the pipeline records it as unmatched (404).
 */
export function openApiModel(options: OpenApiOptions): UpstreamModel {
  const style = resourceStyle('plain', options.noun, '/');
  const keys = new KeyStore();
  let sequence = 0;
  const { document } = options;
  const honours = (operation: DocumentOperation): boolean => options.operations[operation.id]?.honoursIdempotencyKey ?? options.honoursIdempotencyKey;

  // By method, most specific first (the document's order): a request tries only its method's templates.
  const byMethod = new Map<string, DocumentOperation[]>();
  for (const operation of document.operations) byMethod.set(operation.method, [...(byMethod.get(operation.method) ?? []), operation]);
  const find = (method: string, pathname: string): DocumentOperation | undefined => {
    const path = document.basePath && pathname.startsWith(`${document.basePath}/`) ? pathname.slice(document.basePath.length) : pathname;
    return byMethod.get(method)?.find((operation) => operation.matches(path));
  };

  const mutate = (operation: DocumentOperation, pathname: string, text: string, contentType: string | null, keyHeader: string | null): ModelAnswer => {
    const decoded = decodeBody(text, contentType);
    if (!decoded.ok) {
      ambientContext.rejected();
      return style.badBody(decoded.problem);
    }
    const key = parseIdempotencyKey(keyHeader);
    let settle: ((response: { status: number; body: unknown }) => void) | undefined;
    if (key !== null && honours(operation)) {
      // Scoped by the path called: one key on two different resources is two requests.
      const admission = keys.admit(key, decoded.fields, text, `${operation.method} ${pathname}`);
      if (admission.kind === 'reused') return rejected(style.keyReused(key));
      if (admission.kind === 'in-flight') return rejected(style.keyInFlight(key));
      if (admission.kind === 'replay') {
        ambientContext.replayed();
        return { status: admission.response.status, json: admission.response.body, headers: { 'idempotent-replayed': 'true' } };
      }
      settle = admission.settle;
    }
    sequence += 1;
    const body = withFreshId(operation.body(), sequence);
    ambientContext.commit({ resourceId: idOf(body) ?? String(sequence), body: decoded.fields });
    settle?.({ status: operation.status, body });
    return { status: operation.status, json: body };
  };

  const handler = http.all('*', async ({ request }) => {
    const url = new URL(request.url);
    const operation = find(request.method, url.pathname);
    if (!operation) return undefined;
    const answer = operation.mutating
      ? mutate(operation, url.pathname, await request.text(), request.headers.get('content-type'), request.headers.get('idempotency-key'))
      : { status: operation.status, json: operation.body() };
    return respond(answer);
  });

  return {
    handlers: [handler],
    reset() {
      keys.clear();
      sequence = 0;
    },
    errorBody: style.errorBody,
    traits: {
      deduplicates: options.honoursIdempotencyKey || Object.values(options.operations).some((own) => own.honoursIdempotencyKey === true),
      // GETs answer the document's example, not what was created: no client can find its effects there.
      lookup: false,
      noun: options.noun,
      ignoreFields: options.ignoreFields,
    },
  };
}

function rejected(answer: ModelAnswer): ModelAnswer {
  ambientContext.rejected();
  return answer;
}

/** Each created thing gets its own id, of the documented id's type, so two effects' answers differ as a real API's would. */
function withFreshId(body: unknown, sequence: number): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body) || !('id' in body)) return structuredClone(body);
  const id = (body as { id: unknown }).id;
  return { ...(structuredClone(body) as object), id: typeof id === 'number' ? sequence : `${String(id ?? 'id')}_${sequence}` };
}

function idOf(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || !('id' in body)) return undefined;
  return String((body as { id: unknown }).id);
}
