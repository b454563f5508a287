import path from 'node:path';
import { RetryproofError } from '../../errors.js';
import type { Scenario } from '../../scenario/load.js';
import type { RouteSpec, UpstreamSpec } from '../../scenario/schema.js';
import { errorBodyTemplate } from '../error-body.js';
import type { UpstreamModel } from '../model.js';
import { counterModel } from './counter.js';
import { customModel } from './custom.js';
import { deployerModel } from './deployer.js';
import { harModel } from './har.js';
import { readHarFile } from './har-file.js';
import { mailerModel } from './mailer.js';
import { loadOpenApiModel } from './openapi-load.js';
import { resourceModel } from './resource.js';
import { routesModel } from './routes.js';

/** Where an upstream entry was declared: a custom upstream's module path starts in the scenario's folder. */
export interface ModelOrigin {
  /** The upstream's name (the key under `upstreams:`). */
  upstream: string;
  scenario: Pick<Scenario, 'dir' | 'file'>;
}

/**
 * Builds the model a scenario's upstream entry names: any model, including a
 * `custom` one, whose module is imported (hence async). Throws RetryproofError
 * (exit 2) for a custom module that cannot be loaded or exports no handlers.
 */
export async function loadModel(spec: UpstreamSpec, origin: ModelOrigin): Promise<UpstreamModel> {
  if (spec.model === 'custom') {
    return withDeclaredErrorBody(await customModel(spec, { upstream: origin.upstream, dir: origin.scenario.dir, file: origin.scenario.file }), spec);
  }
  if (spec.model === 'openapi') return withDeclaredErrorBody(await loadOpenApiModel(spec, origin), spec);
  if (spec.model === 'har') {
    const exchanges = readHarFile(path.resolve(origin.scenario.dir, spec.file), { file: origin.scenario.file, field: `upstreams.${origin.upstream}.file` });
    return withDeclaredErrorBody(harModel({ exchanges, origin: spec.origin, honoursIdempotencyKey: spec.honoursIdempotencyKey, noun: spec.noun, ignoreFields: spec.ignoreFields }), spec);
  }
  return createModel(spec);
}

/** The entry's `errorBody`, where it declares one, over the model's own. */
function withDeclaredErrorBody(model: UpstreamModel, spec: { errorBody?: unknown }): UpstreamModel {
  return spec.errorBody === undefined ? model : { ...model, errorBody: errorBodyTemplate(spec.errorBody) };
}

/**
 * Builds a built-in model, synchronously. A `custom` upstream needs its module
 * imported first: use `loadModel`.
 */
export function createModel(spec: UpstreamSpec): UpstreamModel {
  switch (spec.model) {
    case 'resource':
      return withDeclaredErrorBody(resourceModel(spec), spec);
    case 'mailer':
      return withDeclaredErrorBody(mailerModel(spec), spec);
    case 'counter':
      return withDeclaredErrorBody(counterModel(spec), spec);
    case 'deployer':
      return withDeclaredErrorBody(deployerModel(spec), spec);
    case 'routes':
      return routesModel(spec.routes.map((route: RouteSpec) => ({ path: route.path, model: createModel(route) })));
    case 'custom':
    case 'openapi':
    case 'har':
      throw new RetryproofError(
        'SCENARIO_INVALID',
        `a ${spec.model} upstream is loaded from its file by the asynchronous loadModel(), but this build starts upstreams with the synchronous createModel()`,
        { field: 'upstreams' },
        'in src/runner/upstreams.ts, build models with `await loadModel(spec, { upstream: name, scenario })`',
      );
  }
}
