import path from 'node:path';
import { RetryproofError } from '../../errors.js';
import type { UpstreamSpec } from '../../scenario/schema.js';
import type { UpstreamModel } from '../model.js';
import type { ModelOrigin } from './index.js';
import { openApiModel } from './openapi.js';
import { loadOpenApiDocument } from './openapi-document.js';

type OpenApiSpec = Extract<UpstreamSpec, { model: 'openapi' }>;

/**
 * A scenario's `model: openapi` entry as a model: its document loaded (once
 * per process), and every operation the entry names checked to exist, so a
 * typo stops the run (exit 2) instead of silently keying nothing.
 */
export async function loadOpenApiModel(spec: OpenApiSpec, origin: ModelOrigin): Promise<UpstreamModel> {
  const file = path.resolve(origin.scenario.dir, spec.document);
  const document = await loadOpenApiDocument(file, { file: origin.scenario.file, field: `upstreams.${origin.upstream}.document` });
  const known = new Set(document.operations.map((operation) => operation.id));
  for (const name of Object.keys(spec.operations)) {
    if (known.has(name)) continue;
    const near = nearest(name, [...known]);
    throw new RetryproofError(
      'SCENARIO_INVALID',
      `the OpenAPI document ${file} has no operation "${name}"${near.length > 0 ? ` (near: ${near.join(', ')})` : ''}`,
      { file: origin.scenario.file, field: `upstreams.${origin.upstream}.operations.${name}` },
      'name an operation by its operationId, or by "METHOD /path/template" where it has none',
    );
  }
  return openApiModel({ document, honoursIdempotencyKey: spec.honoursIdempotencyKey, operations: spec.operations, noun: spec.noun, ignoreFields: spec.ignoreFields });
}

/** Up to three operation names that share the most leading characters with a mistyped one. */
function nearest(name: string, names: string[]): string[] {
  const shared = (other: string): number => {
    let i = 0;
    while (i < name.length && i < other.length && name[i] === other[i]) i += 1;
    return i;
  };
  return names
    .map((other) => ({ other, score: shared(other) }))
    .filter((entry) => entry.score >= 3)
    .sort((a, b) => b.score - a.score || a.other.localeCompare(b.other))
    .slice(0, 3)
    .map((entry) => entry.other);
}
