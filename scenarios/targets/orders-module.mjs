// orders-module: a careful createOrder, called in-process by retryproof
// (scenarios/orders-module.yaml). What makes it retry-safe:
//   - every attempt sends the caller's key as Idempotency-Key, to a payments
//     API that honours it, so a retry after a lost answer is answered from the
//     upstream's key store instead of charging again;
//   - it retries its own transient failures (no answer, 5xx, 409, 429) a
//     bounded number of times, with the same key, after a short backoff, or
//     as long as Retry-After asks when that is short enough to wait;
//   - it never retries a refusal (400, 401, 403, 404, 422);
//   - it remembers the keys it has completed (with what they were for), so a
//     replay is answered without asking the upstream again and a key reused
//     for another order is refused;
//   - it reports its effect: created, noop (the upstream replayed the key),
//     would_create (dry run), and on failure none (nothing happened) or
//     unknown (an attempt may have been done and it cannot tell).

const REQUEST_TIMEOUT_MS = 200;
const MAX_ATTEMPTS = 3;
/** The wait before the first retry; it doubles for each retry after that. */
const BACKOFF_MS = 50;
/** A Retry-After (429, 503) longer than this is not waited out: the caller may come back later. */
const MAX_RETRY_AFTER_MS = 1000;
/** Completed keys remembered (the oldest are forgotten first); the upstream's key store backs this up. */
const MAX_REMEMBERED = 10_000;

/** key → { body, result } for every order this module completed. */
const completed = new Map();

/** createOrder over the global fetch: what msw intercepts in-process. */
export const createOrder = makeCreateOrder(fetchPost);

/**
 * Builds createOrder over a transport, `post(url, headers, body, signal)` →
 * `{ status, header(name), text() }`, so the same logic runs over fetch here and
 * over undici.request in orders-module-undici.mjs.
 */
export function makeCreateOrder(post) {
  return async function createOrder(input, ctx) {
    const amount = Number(input.amount);
    if (!Number.isFinite(amount) || amount <= 0) throw failure('amount must be a positive number', 'none');
    const currency = String(input.currency ?? 'eur');
    if (ctx.dryRun) return { effect: 'would_create', amount, currency };
    const base = ctx.upstreams.payments;
    if (!base) throw failure('no payments upstream was given', 'none');

    const body = JSON.stringify({ amount, currency });
    const earlier = completed.get(ctx.key);
    if (earlier) {
      if (earlier.body !== body) throw failure('this idempotency key was already used for another order', 'none', 422);
      return { ...earlier.result, effect: 'noop' };
    }
    const headers = { 'content-type': 'application/json', 'idempotency-key': ctx.key };
    // Whether an earlier attempt of this call may have charged (no answer, or a 5xx after the work).
    let mayHaveCharged = false;
    let problem = 'no attempt was made';
    // At least the backoff, or longer if the upstream asked for it (Retry-After).
    let serverWaitMs = 0;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      if (attempt > 1) await pause(Math.max(serverWaitMs, BACKOFF_MS * 2 ** (attempt - 2)), ctx.signal);
      serverWaitMs = 0;
      if (ctx.signal.aborted) break;
      let status;
      let replayed;
      let retryAfter;
      let text;
      try {
        const res = await post(`${base}/charges`, headers, body, AbortSignal.any([ctx.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]));
        status = res.status;
        replayed = res.header('idempotent-replayed') === 'true';
        retryAfter = res.header('retry-after');
        text = await res.text();
      } catch (error) {
        // No answer, or half of one (timeout, reset, truncated body): it may have been done.
        mayHaveCharged = true;
        problem = `no answer from payments (${describe(error)})`;
        continue;
      }

      if (status >= 200 && status < 300) {
        const charge = parseJson(text);
        if (!charge || typeof charge.id !== 'string') {
          mayHaveCharged = true;
          problem = `payments answered ${status} without a charge id`;
          continue;
        }
        // A replay answers for an earlier request with this key: the charge was
        // already made and nothing new happened now, so noop. (The earlier request
        // may have been a lost attempt of this very call; from here the two cannot
        // be told apart, and either way the key was charged exactly once.)
        const result = { id: charge.id, amount, currency };
        remember(ctx.key, body, result);
        return { effect: replayed ? 'noop' : 'created', ...result };
      }
      // Honour Retry-After wherever it comes (429, 503); if it is longer than we will wait, stop now.
      const waitMs = retryAfterMs(retryAfter);
      if (status === 429) {
        problem = `payments asked to slow down (429, Retry-After ${retryAfter ?? 'absent'})`;
        // Nothing was done.
        if (waitMs > MAX_RETRY_AFTER_MS) break;
        serverWaitMs = waitMs;
        continue;
      }
      if (status === 409) {
        // Another request with this key is still in flight: its answer will be replayed to us.
        problem = 'a request with this key is still in flight (409)';
        continue;
      }
      if (status >= 500) {
        // A 5xx may come after the work was done: only the same key makes a retry safe.
        mayHaveCharged = true;
        problem = `payments failed (${status}${retryAfter ? `, Retry-After ${retryAfter}` : ''})`;
        if (waitMs > MAX_RETRY_AFTER_MS) break;
        serverWaitMs = waitMs;
        continue;
      }
      // 400, 401, 403, 404, 422...: a refusal that retrying cannot fix.
      const reason = parseJson(text)?.error ?? text;
      throw failure(`payments refused the charge (${status}: ${reason})`, mayHaveCharged ? 'unknown' : 'none', status);
    }
    const why = ctx.signal.aborted ? `stopped: the caller gave up (${problem})` : `gave up after ${MAX_ATTEMPTS} attempts: ${problem}`;
    throw failure(why, mayHaveCharged ? 'unknown' : 'none');
  };
}

function remember(key, body, result) {
  completed.set(key, { body, result });
  if (completed.size > MAX_REMEMBERED) completed.delete(completed.keys().next().value);
}

async function fetchPost(url, headers, body, signal) {
  const res = await fetch(url, { method: 'POST', headers, body, signal });
  return { status: res.status, header: (name) => res.headers.get(name), text: () => res.text() };
}

function failure(message, effect, status) {
  return Object.assign(new Error(message), { effect, ...(status ? { status } : {}) });
}

function parseJson(text) {
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}

function retryAfterMs(header) {
  const seconds = Number(header);
  return header !== null && header !== undefined && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 0;
}

function describe(error) {
  if (error?.name === 'TimeoutError') return `timed out after ${REQUEST_TIMEOUT_MS} ms`;
  return error?.cause?.code ?? error?.code ?? error?.message ?? String(error);
}

/** Sleeps, but not past the caller giving up. */
function pause(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
