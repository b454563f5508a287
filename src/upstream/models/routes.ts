import type { FastRoutes, UpstreamModel, UpstreamTraits } from '../model.js';

/** One route of a multi-route upstream: the path its model serves, and the model. */
export interface Route {
  path: string;
  model: UpstreamModel;
}

/**
 * Several built-in models behind one upstream (one URL): `/charges` answered
 * by a resource, `/audit` by another, `/emails` by a mailer. Each route keeps
 * its own state, noun and semantics; a path no route serves is answered 404
 * and recorded as unmatched, as on any upstream.
 *
 * The routes' msw handlers are tried in declaration order and their fast
 * routes likewise. Route paths never overlap (the scenario loader refuses it),
 * so no request is claimed by two routes, whichever path serves it.
 */
export function routesModel(routes: readonly Route[]): UpstreamModel {
  const fasts = routes.map((route) => route.model.fast).filter((fast): fast is FastRoutes => fast !== undefined);
  const fast: FastRoutes | undefined =
    fasts.length === 0
      ? undefined
      : {
          route(method, pathname) {
            for (const own of fasts) {
              const handler = own.route(method, pathname);
              if (handler) return handler;
            }
            return undefined;
          },
        };
  const traits = routes.map((route) => route.model.traits);
  return {
    handlers: routes.flatMap((route) => route.model.handlers),
    ...(fast && { fast }),
    reset() {
      for (const route of routes) route.model.reset();
    },
    traits: {
      // Only a request no route serves is judged by these: it commits nothing.
      deduplicates: traits.every((own) => own.deduplicates),
      lookup: traits.every((own) => own.lookup),
      noun: 'effect',
      ignoreFields: [],
      routes: routes.map((route) => ({ path: route.path, traits: route.model.traits })),
    } satisfies UpstreamTraits,
  };
}
