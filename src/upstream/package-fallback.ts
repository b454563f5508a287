import { register } from 'node:module';

/**
 * Lets a user's module import `retryproof` and `msw` without installing them.
 *
 * A custom upstream's handlers (and a module target's helpers) are written with
 * `import { http, HttpResponse, recordEffect } from 'retryproof'`. When the
 * module's own folder cannot resolve that (retryproof run with npx, installed
 * globally, or the mock kept outside the project), the import is resolved
 * again as if retryproof itself made it: the package's own copy (a package can
 * import itself by name) and the msw it runs on, so handlers and harness share
 * one msw. Whatever the user's project does resolve is left alone.
 */
const HOOKS = `
let harness;
export function initialize(data) { harness = data.harness; }
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !/^(retryproof|msw)(\\/|$)/.test(specifier) || context.parentURL === harness) throw error;
    return next(specifier, { ...context, parentURL: harness });
  }
}
`;

let registered = false;

/** Installs the fallback once per process (Node's module hooks apply to every later import). */
export function registerPackageFallback(): void {
  if (registered) return;
  registered = true;
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { harness: import.meta.url } });
}
