import SwaggerParser from '@apidevtools/swagger-parser';
import { existsSync, statSync } from 'node:fs';
import { sample } from 'openapi-sampler';
import { RetryproofError, type ErrorWhere } from '../../errors.js';

/** The HTTP methods of an OpenAPI path item that retryproof serves; the last four are mutating. */
const METHODS = ['get', 'head', 'options', 'post', 'put', 'patch', 'delete'] as const;
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** One operation of a document, ready to match requests and answer them. */
export interface DocumentOperation {
  /** `operationId`, or `METHOD /path/template` when the document gives none. */
  id: string;
  method: string;
  template: string;
  mutating: boolean;
  /** The documented success status (the lowest 2xx, else 200). */
  status: number;
  /** The documented success body, built on first use: an example where the document has one, else generated from the schema; undefined for none. */
  body(): unknown;
  matches(pathname: string): boolean;
}

export interface OpenApiDocument {
  title: string;
  /** Most specific first: a literal segment wins over a `{param}` at the same place (`/issues/comments` before `/issues/{number}`). */
  operations: DocumentOperation[];
  /** The path of the document's first server URL (`/v1`), which requests may carry before the templates; '' for none. */
  basePath: string;
}

// One parse per document file per process (a run's lanes and cases share it), keyed by path and mtime.
const cache = new Map<string, Promise<OpenApiDocument>>();

/**
 * Loads an OpenAPI 3 document (JSON or YAML) once: parsed by
 * @apidevtools/swagger-parser (dereferenced whole only when it refers to other
 * files), its operations compiled to matchers. Throws
 * RetryproofError (exit 2) naming `where` for a missing, unreadable or
 * non-OpenAPI-3 file.
 */
export function loadOpenApiDocument(file: string, where: ErrorWhere): Promise<OpenApiDocument> {
  if (!existsSync(file)) {
    return Promise.reject(
      new RetryproofError('SCENARIO_INVALID', `the OpenAPI document ${file} does not exist`, where, "give the path of an OpenAPI 3 document (JSON or YAML), relative to the scenario file's folder"),
    );
  }
  const cacheKey = `${file}\n${statSync(file).mtimeMs}`;
  let loaded = cache.get(cacheKey);
  if (!loaded) {
    loaded = parseDocument(file, where);
    cache.set(cacheKey, loaded);
    loaded.catch(() => cache.delete(cacheKey));
  }
  return loaded;
}

async function parseDocument(file: string, where: ErrorWhere): Promise<OpenApiDocument> {
  let api: Record<string, unknown>;
  try {
    // Parsed only, not dereferenced: a whole-document dereference costs twice the parse on a large document
    // (GitHub's: 1.5 s more), while an answer needs the refs of one operation, followed when it is first asked for.
    api = (await SwaggerParser.parse(file)) as unknown as Record<string, unknown>;
    // A document split over several files is dereferenced whole by the library: local pointers cannot reach the others.
    if (/"\$ref":"(?!#)/.test(JSON.stringify(api.paths ?? {})) || /"\$ref":"(?!#)/.test(JSON.stringify(api.components ?? {}))) {
      api = (await SwaggerParser.dereference(file, { dereference: { circular: 'ignore' }, validate: { schema: false, spec: false } })) as unknown as Record<string, unknown>;
    }
  } catch (error) {
    throw new RetryproofError(
      'SCENARIO_INVALID',
      `cannot read the OpenAPI document ${file}: ${firstLine(error)}`,
      where,
      'fix the document (it must be JSON or YAML with `openapi: 3.x` and `paths`), or point document at another file',
      { cause: error },
    );
  }
  if (typeof api.openapi !== 'string' || !api.openapi.startsWith('3.')) {
    throw new RetryproofError(
      'SCENARIO_INVALID',
      `${file} is not an OpenAPI 3 document (its "openapi" field is ${JSON.stringify(api.openapi ?? api.swagger ?? null)})`,
      where,
      'convert a Swagger 2.0 document to OpenAPI 3 (e.g. with swagger2openapi), or point document at an OpenAPI 3 file',
    );
  }
  const operations: DocumentOperation[] = [];
  for (const [template, item] of Object.entries((api.paths ?? {}) as Record<string, Record<string, unknown>>)) {
    for (const method of METHODS) {
      const operation = local(api, item?.[method]) as Record<string, unknown> | undefined;
      if (!operation) continue;
      operations.push(compileOperation(method.toUpperCase(), template, operation, api));
    }
  }
  operations.sort((a, b) => compareSpecificity(a.template, b.template));
  const servers = (api.servers ?? []) as Array<{ url?: string }>;
  const info = (api.info ?? {}) as { title?: string };
  return { title: info.title ?? file, operations, basePath: serverPath(servers[0]?.url) };
}

function compileOperation(method: string, template: string, operation: Record<string, unknown>, api: Record<string, unknown>): DocumentOperation {
  const pattern = new RegExp(`^${template.split('/').map((segment) => (/^\{[^}]+\}$/.test(segment) ? '[^/]+' : escapeRegExp(segment))).join('/')}/?$`);
  const responses = (local(api, operation.responses) ?? {}) as Record<string, unknown>;
  const success = Object.keys(responses).filter((code) => /^2\d\d$/.test(code)).sort()[0];
  const response = (local(api, responses[success ?? 'default']) ?? {}) as Record<string, unknown>;
  let built: { value: unknown } | undefined;
  return {
    id: typeof operation.operationId === 'string' ? operation.operationId : `${method} ${template}`,
    method,
    template,
    mutating: MUTATING.has(method),
    status: success ? Number(success) : 200,
    body() {
      built ??= { value: documentedBody(response, api) };
      return built.value;
    },
    matches: (pathname) => pattern.test(pathname),
  };
}

/** The JSON body a response documents: its example, the first of its examples, or one generated from its schema. */
function documentedBody(response: Record<string, unknown>, api: Record<string, unknown>): unknown {
  const content = (local(api, response.content) ?? {}) as Record<string, unknown>;
  const type = Object.keys(content).find((name) => /json/i.test(name));
  if (!type) return undefined;
  const media = local(api, content[type]) as Record<string, unknown>;
  if (media.example !== undefined) return local(api, media.example);
  const examples = Object.values((local(api, media.examples) ?? {}) as Record<string, unknown>).map((example) => local(api, example) as { value?: unknown });
  if (examples[0]?.value !== undefined) return examples[0].value;
  if (!media.schema) return undefined;
  // openapi-sampler follows the schema's own $refs in the document it is given.
  return sample(local(api, media.schema) as object, { skipReadOnly: false, skipWriteOnly: true, quiet: true }, api);
}

/** A node of the document with its local `$ref` (`#/components/...`) followed, as far as it leads. */
function local(api: Record<string, unknown>, node: unknown): unknown {
  let current = node;
  for (let hops = 0; hops < 32; hops += 1) {
    const ref = (current as { $ref?: unknown } | null | undefined)?.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#/')) return current;
    current = ref
      .slice(2)
      .split('/')
      .map((part) => decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((at, part) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined), api);
  }
  return current;
}

/** Segment by segment, a literal before a parameter; otherwise the document's order. */
function compareSpecificity(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  for (let i = 0; i < Math.min(left.length, right.length); i += 1) {
    const l = left[i]!.startsWith('{') ? 1 : 0;
    const r = right[i]!.startsWith('{') ? 1 : 0;
    if (l !== r) return l - r;
  }
  return 0;
}

function serverPath(url: string | undefined): string {
  if (!url) return '';
  try {
    return new URL(url, 'http://server.invalid').pathname.replace(/\/+$/, '');
  } catch {
    return '';
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n').find((line) => line.trim() !== '')?.trim() ?? 'unknown error';
}
