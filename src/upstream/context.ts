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
  /** Name the route this request matched, for reports. */
  route(route: string): void;
}

const storage = new AsyncLocalStorage<HandlerContext>();

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
 * Records that the request being answered performed a side effect. Call it from
 * an msw resolver at the moment the work is done.
 *
 * @example
 * http.post('*\/charges', async ({ request }) => {
 *   const charge = store.create(await request.json());
 *   recordEffect({ route: 'POST /charges', resourceId: charge.id });
 *   return HttpResponse.json(charge, { status: 201 });
 * });
 */
export function recordEffect(effect: EffectInput = {}): void {
  current('recordEffect').commit(effect);
}

/** Records that the request was answered from an idempotency-key store, with no new effect. */
export function recordReplay(): void {
  current('recordReplay').replayed();
}

/** Records that the request was refused and did nothing. */
export function recordRejection(): void {
  current('recordRejection').rejected();
}
