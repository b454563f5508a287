import type { UpstreamTraits } from './model.js';

/**
 * Which route of a multi-route upstream serves a path, and so whose traits
 * (noun, ignoreFields, deduplicates, lookup) judge a request or an effect.
 *
 * A built-in model answers `*PATH` and `*PATH/:id` (msw patterns: any prefix,
 * case-insensitive), so a route serves a pathname that ends with its path, or
 * with its path and one more segment. Route paths of one upstream never
 * overlap (the scenario loader refuses it), so at most one route matches.
 */
export function routeIndexFor(paths: readonly string[], pathname: string): number | undefined {
  const segments = segmentsOf(pathname);
  for (const [index, path] of paths.entries()) {
    const own = segmentsOf(path);
    if (endsWith(segments, own) || endsWith(segments.slice(0, -1), own)) return index;
  }
  return undefined;
}

/**
 * The traits that judge a request or effect on `route` (`POST /charges`, or
 * a path): its route's own on a multi-route upstream, else the upstream's.
 */
export function traitsFor(
  traits: ReadonlyMap<string, UpstreamTraits>,
  upstream: string,
  route: string,
): UpstreamTraits | undefined {
  const own = traits.get(upstream);
  if (!own?.routes) return own;
  const index = routeIndexFor(
    own.routes.map((entry) => entry.path),
    pathOfRoute(route),
  );
  return index === undefined ? own : own.routes[index]!.traits;
}

/** `traitsFor` by a `countByRoute` key, `upstream METHOD /path` (upstream names hold no spaces). */
export function traitsForRouteKey(traits: ReadonlyMap<string, UpstreamTraits>, key: string): UpstreamTraits | undefined {
  const space = key.indexOf(' ');
  return space < 0 ? traits.get(key) : traitsFor(traits, key.slice(0, space), key.slice(space + 1));
}

/** What one effect on a route is called: "charge", or "effect" for an unknown upstream. */
export function nounFor(traits: ReadonlyMap<string, UpstreamTraits>, upstream: string, route: string): string {
  return traitsFor(traits, upstream, route)?.noun ?? 'effect';
}

/** The path of `POST /charges?x=1` (or of a bare path), without its query. */
function pathOfRoute(route: string): string {
  const path = route.includes(' ') ? route.slice(route.indexOf(' ') + 1) : route;
  return path.split('?')[0]!;
}

function segmentsOf(path: string): string[] {
  return path.toLowerCase().split('/').filter(Boolean);
}

function endsWith(segments: readonly string[], tail: readonly string[]): boolean {
  if (tail.length === 0 || tail.length > segments.length) return false;
  const offset = segments.length - tail.length;
  return tail.every((segment, i) => segments[offset + i] === segment);
}

/**
 * Whether two route paths of one upstream could both serve a request: one's
 * segments appear, in a row, inside the other's (`/charges` and
 * `/v1/charges/refunds`), since each matches any prefix before its path and
 * one more segment after it. Case-insensitive, as msw matches.
 */
export function pathsOverlap(a: string, b: string): boolean {
  const left = segmentsOf(a);
  const right = segmentsOf(b);
  const [short, long] = left.length <= right.length ? [left, right] : [right, left];
  if (short.length === 0) return true;
  for (let offset = 0; offset + short.length <= long.length; offset += 1) {
    if (short.every((segment, i) => long[offset + i] === segment)) return true;
  }
  return false;
}
