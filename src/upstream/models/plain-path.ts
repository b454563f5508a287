/**
 * Matching a built-in model's paths without msw. Its handlers use the msw
 * patterns `*PATH` and `*PATH/:id`, which path-to-regexp matches with any
 * prefix, case-insensitively and with percent-decoding. The fast routes claim
 * only the canonical forms, where plain string comparison gives msw's answer;
 * everything else (other case, encoded characters, a prefix before the path)
 * is left to msw.
 */

/** A path whose msw pattern is plain text: no wildcards, params or path-to-regexp syntax. */
const PLAIN_PATH = /^(\/[A-Za-z0-9_.~-]+)+$/;
const PLAIN_SEGMENT = /^[A-Za-z0-9_.~-]+$/;

export interface PlainPath {
  /** `PATH` or `PATH/`: what `*PATH` matches. */
  isCollection(pathname: string): boolean;
  /** The id of `PATH/ID` (or `PATH/ID/`) when `*PATH/:id` is the first pattern to match it, else undefined. */
  itemId(pathname: string): string | undefined;
}

/** Undefined when `path` is not plain text: then a model has no fast routes. */
export function plainPath(path: string): PlainPath | undefined {
  if (!PLAIN_PATH.test(path)) return undefined;
  const slashed = `${path}/`;
  const lower = path.toLowerCase();
  return {
    isCollection: (pathname) => pathname === path || pathname === slashed,
    itemId(pathname) {
      if (!pathname.startsWith(slashed)) return undefined;
      // `*PATH` comes first and ignores case: to msw, `/charges/CHARGES` is the collection.
      const folded = pathname.toLowerCase();
      if (folded.endsWith(lower) || folded.endsWith(`${lower}/`)) return undefined;
      const id = pathname.slice(slashed.length, pathname.endsWith('/') ? -1 : undefined);
      return PLAIN_SEGMENT.test(id) ? id : undefined;
    },
  };
}
