import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What an upstream handler may tell the harness about the request it is
 * answering. Built-in models and users' own msw handlers call these through
 * `recordEffect` and friends; the pipeline turns them into ledger rows.
 */
export interface EffectInput {
  /** The route that did the work, e.g. `POST /charges` (default: method and path). */
  route?: string;
  /** The id of what was created or changed, if it has one. */
  resourceId?: string | null;
  /** The body that describes the effect (default: the request body). */
  body?: unknown;
}

export interface HandlerContext {
  readonly upstream: string;
  commit(effect?: EffectInput): void;
  /** The request was answered from an idempotency-key store: no new effect. */
  replayed(): void;
  /** The request was refused (e.g. 422 for a reused key): no effect. */
  rejected(): void;
  /**
   * The request asked for what was already so (deploy the version already
   * deployed): answered as a success, no effect. Optional so that a pipeline
   * that does not know the outcome yet still works: then it is recorded as
   * `replayed`.
   */
  unchanged?(): void;
  /** Name the route this request matched, for reports. */
  route(route: string): void;
}

/**
 * The store lives on `globalThis` under a registered symbol, not in this
 * module: a user's mock module imports `recordEffect` from the package
 * ('retryproof', i.e. dist/index.js) while the harness that serves it may be
 * another copy of this file (src under vitest, a global install, a second
 * version in node_modules). Every copy finds the same store, so the effect
 * lands in the request being served whichever copy recorded it.
 */
const STORE = Symbol.for('retryproof.handlerContext');

function sharedStorage(): AsyncLocalStorage<HandlerContext> {
  const holder = globalThis as typeof globalThis & { [STORE]?: AsyncLocalStorage<HandlerContext> };
  holder[STORE] ??= new AsyncLocalStorage<HandlerContext>();
  return holder[STORE];
}

const storage = sharedStorage();

export function runWithHandlerContext<T>(context: HandlerContext, fn: () => T): T {
  return storage.run(context, fn);
}

function current(what: string): HandlerContext {
  const context = storage.getStore();
  if (!context) {
    throw new Error(`${what}() was called outside a request served by a retryproof upstream; call it from inside an msw resolver`);
  }
  return context;
}

/**
 * Records that the request being answered performed a side effect (a commit:
 * one row in the ledger's effects). Call it from an msw resolver at the moment
 * the work is done. A mutating request whose handler never calls it is still
 * recorded, with no effect: the harness cannot see a commit it is not told of,
 * so a mock that forgets to record its commits hides every duplicate.
 *
 * @example
 * import { http, HttpResponse } from 'msw';
 * import { recordEffect } from 'retryproof';
 *
 * http.post('https://api.billing.example/v1/charges', async ({ request }) => {
 *   const charge = store.create(await request.json());
 *   recordEffect({ route: 'POST /v1/charges', resourceId: charge.id });
 *   return HttpResponse.json(charge, { status: 201 });
 * });
 */
export function recordEffect(effect: EffectInput = {}): void {
  current('recordEffect').commit(effect);
}

/**
 * Records that the request was answered from an idempotency-key store, with no
 * new effect (ledger outcome `replayed`).
 *
 * @example
 * const stored = responses.get(key);
 * if (stored) {
 *   recordReplay();
 *   return HttpResponse.json(stored, { headers: { 'idempotent-replayed': 'true' } });
 * }
 */
export function recordReplay(): void {
  current('recordReplay').replayed();
}

/**
 * Records that the request was refused and did nothing (ledger outcome
 * `rejected`), e.g. a 422 for a key reused with another body.
 */
export function recordRejection(): void {
  current('recordRejection').rejected();
}

/**
 * Records that the request asked for what was already so and changed nothing
 * (ledger outcome `unchanged`), e.g. setting the version that is already
 * deployed: a success with no effect, as a naturally idempotent API answers.
 *
 * @example
 * if (body.version === deployed) {
 *   recordUnchanged();
 *   return HttpResponse.json({ version: deployed, changed: false });
 * }
 */
export function recordUnchanged(): void {
  const context = current('recordUnchanged');
  if (context.unchanged) context.unchanged();
  else context.replayed();
}

/**
 * The ledger calls a custom upstream's factory receives: `(api) => handlers`.
 * The same functions as the package's exports, so a factory needs no import.
 */
export interface UpstreamApi {
  recordEffect(effect?: EffectInput): void;
  recordReplay(): void;
  recordRejection(): void;
  recordUnchanged(): void;
}

export const upstreamApi: UpstreamApi = Object.freeze({ recordEffect, recordReplay, recordRejection, recordUnchanged });
