import { plainErrorBody, type ErrorBody } from '../../faults/fault.js';
import type { ModelAnswer } from '../model.js';

export const RESOURCE_STYLES = ['plain', 'stripe'] as const;
export type ResourceStyleName = (typeof RESOURCE_STYLES)[number];

/**
 * How a resource upstream words its answers, so that a real SDK can read them:
 * the shape of a created record, of a look-up list and of every error (its
 * own refusals and the faults' answers). The logic (keys, replays, commits)
 * is the resource model's and the same for every style.
 */
export interface ResourceStyle {
  /** The status of a successful create. */
  readonly createdStatus: number;
  id(sequence: number): string;
  /** The record a create answers with: the request's fields plus what the upstream adds. */
  record(fields: Record<string, unknown>, id: string, key: string | null): Record<string, unknown>;
  list(records: Array<Record<string, unknown>>): unknown;
  /** Headers of every answer to a request that carried a key. */
  keyHeaders(key: string): Record<string, string>;
  badBody(problem: string): ModelAnswer;
  /** The key was used before with other parameters. */
  keyReused(key: string): ModelAnswer;
  /** The first request with this key has not been answered yet. */
  keyInFlight(key: string): ModelAnswer;
  notFound(id: string): ModelAnswer;
  /** The body a fault's error answer has on this upstream. */
  readonly errorBody: ErrorBody;
}

export function resourceStyle(name: ResourceStyleName, noun: string, path: string): ResourceStyle {
  return name === 'stripe' ? stripeStyle(path) : plainStyle(noun);
}

/** The harness's own shape (the default): `{...body, id, idempotencyKey, created}`, 201, `{error: "..."}`. */
function plainStyle(noun: string): ResourceStyle {
  const prefix = noun.slice(0, 3).toLowerCase() || 'rec';
  const error = (status: number, message: string): ModelAnswer => ({ status, json: { error: message } });
  return {
    createdStatus: 201,
    id: (sequence) => `${prefix}_${sequence}`,
    record(fields, id, key) {
      // `{ ...fields, id, idempotencyKey, created }`, built without the spread: see copyFields.
      const record = copyFields(fields);
      record.id = id;
      record.idempotencyKey = key;
      record.created = new Date().toISOString();
      return record;
    },
    list: (data) => ({ data }),
    keyHeaders: () => ({}),
    badBody: (problem) => error(400, problem),
    keyReused: () => error(422, 'Idempotency-Key reused with a different request body'),
    keyInFlight: () => error(409, 'a request with this Idempotency-Key is still in flight'),
    notFound: () => error(404, 'not found'),
    errorBody: plainErrorBody,
  };
}

/** Stripe's id prefixes for the objects its SDKs create most (others: the object's name). */
const STRIPE_PREFIXES: Readonly<Record<string, string>> = {
  payment_intent: 'pi',
  setup_intent: 'seti',
  charge: 'ch',
  refund: 're',
  customer: 'cus',
  payment_method: 'pm',
  invoice: 'in',
  subscription: 'sub',
  session: 'cs',
  product: 'prod',
  price: 'price',
  payout: 'po',
  transfer: 'tr',
  account: 'acct',
};

/**
 * Stripe's API as its SDKs read it: `{id: "pi_1", object: "payment_intent",
 * ...params, created, livemode}` with 200, lists as `{object: "list", data}`,
 * errors as `{error: {type, code?, message}}` (the SDK picks its error class
 * from the status and `type`), the key echoed in `Idempotency-Key`, a reused
 * key with other parameters 400 `idempotency_error`, a key in flight 409.
 * The object is named after the path's last segment: `/v1/payment_intents`
 * makes `payment_intent`s with ids `pi_N`.
 */
function stripeStyle(path: string): ResourceStyle {
  const object = objectName(path);
  const prefix = STRIPE_PREFIXES[object] ?? object;
  const error = (status: number, fields: Record<string, string>): ModelAnswer => ({ status, json: { error: fields } });
  return {
    createdStatus: 200,
    id: (sequence) => `${prefix}_${sequence}`,
    record(fields, id) {
      const record: Record<string, unknown> = { id, object };
      for (const name of Object.keys(fields)) if (name !== 'id' && name !== 'object') setField(record, name, fields[name]);
      record.created = Math.floor(Date.now() / 1000);
      record.livemode = false;
      return record;
    },
    list: (data) => ({ object: 'list', data, has_more: false, url: path }),
    keyHeaders: (key) => ({ 'idempotency-key': key }),
    badBody: (problem) => error(400, { type: 'invalid_request_error', message: problem }),
    keyReused: (key) =>
      error(400, {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      }),
    keyInFlight: (key) =>
      error(409, {
        type: 'idempotency_error',
        message: `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
      }),
    notFound: (id) => error(404, { type: 'invalid_request_error', code: 'resource_missing', param: 'id', message: `No such ${object}: '${id}'` }),
    errorBody: stripeErrorBody,
  };
}

/**
 * A fault's answer as Stripe words it. stripe-node picks the class from the
 * status (429 StripeRateLimitError, 400/404 StripeInvalidRequestError, 401, 402,
 * 403, anything else StripeAPIError) and keeps `type` and `message`.
 */
export const stripeErrorBody: ErrorBody = (status, message) => {
  if (status >= 500) return { error: { type: 'api_error', message } };
  if (status === 429) return { error: { type: 'invalid_request_error', code: 'rate_limit', message } };
  if (status === 409) return { error: { type: 'idempotency_error', message } };
  if (status === 401) return { error: { type: 'authentication_error', message } };
  if (status === 402) return { error: { type: 'card_error', message } };
  return { error: { type: 'invalid_request_error', message } };
};

/** `/v1/payment_intents` → `payment_intent`. */
function objectName(path: string): string {
  const last = path.split('/').filter(Boolean).pop() ?? 'object';
  return last.endsWith('s') ? last.slice(0, -1) : last;
}

/**
 * `{ ...body }`, field by field: on Node 20 (V8 11.3) an object made by a
 * spread is slow to add properties to, microseconds per record.
 */
function copyFields(body: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(body)) setField(copy, key, body[key]);
  return copy;
}

/** Defined, not assigned: a JSON field named __proto__ stays a field, as in a spread. */
function setField(record: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
  else record[name] = value;
}
