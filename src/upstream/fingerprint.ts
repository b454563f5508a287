import { createHash } from 'node:crypto';

/**
 * Fingerprints a request body so that effects of a faulted case can be
 * compared with the clean run's: what a run generates (ids, the time it ran,
 * idempotency keys) differs from run to run and is left out; everything else
 * counts.
 *
 * Left out by value, not by field name (issue 18, hole 12): a uuid the caller
 * did not give (the caller's own are its data: the customer to charge), and a
 * time within TIME_OF_RUN_MS of now (the time the request was made). A time
 * far from now is data (a booked date) and counts by its day: a retry that
 * books another date differs, one that computes "tomorrow" a few seconds later
 * does not. Fields named like a time (date, created_at, ts...) are read as
 * times more readily (epoch numbers, any date format), never dropped whole.
 *
 * Generated ids are found anywhere inside a string, not only as the whole
 * value (issue 14): `ord_<uuid>`, a ULID, a Stripe-style prefixed id
 * (`ch_3MtwBwLkdIwHu7ix`: a short prefix, an underscore, 8 or more letters
 * and digits mixed), an ISO time or an epoch of now inside text
 * (`order-1733545995123`). A value the caller gave stays, as uuids do; a
 * counter (`ord_1`, `cha_12`) is no random id and stays too.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_ANYWHERE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const ULID_ANYWHERE = /(?<![0-9A-Za-z])[0-7][0-9A-HJKMNP-TV-Z]{25}(?![0-9A-Za-z])/g;
/** A prefix, an underscore, and a random-looking part: letters and digits mixed, 8 or more. */
const PREFIXED_ID_ANYWHERE = /(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9]{0,15})_((?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{8,})(?![A-Za-z0-9])/g;
const ISO_TIME_ANYWHERE = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?/g;
/** Epoch seconds or milliseconds inside text: counted as a time only when it is the time of the run. */
const EPOCH_ANYWHERE = /(?<!\d)(\d{13}|\d{10})(?!\d)/g;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
/**
 * A date written with its year, in a time-named field: 2027/03/01, 03/01/2027,
 * or a month's name beside a four-digit year (an HTTP date, "March 1, 2027").
 * Date.parse alone reads "slot 3" or "Gate 4" as days of 2001.
 */
const NUMERIC_DATE = /^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}\b/;
const MONTH_NAME = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b/i;
const YEAR = /\b\d{4}\b/;
const TIME_FIELD = /^(timestamp|ts|time|date|created(_at|At)?|updated(_at|At)?|sent(_at|At)?|now)$/;
/** A time this close to the fingerprint's own clock is the time of the run, not a value the caller chose. */
export const TIME_OF_RUN_MS = 15 * 60_000;

export interface FingerprintOptions {
  /** Keys the caller used in this case: replaced by a placeholder. */
  keys: readonly string[];
  /** Fields the scenario says to leave out. */
  ignoreFields: readonly string[];
  /** Uuids the caller gave the target (its input): kept, in any case. */
  callerValues?: readonly string[];
  /** The clock to tell the time of the run by (default: now). */
  nowMs?: number;
}

interface Context extends FingerprintOptions {
  caller: ReadonlySet<string>;
  now: number;
}

/** The id-like values in a value (any JSON, or text): uuids (lower-cased), ULIDs, prefixed ids. What `callerValues` takes. */
export function idLikeValuesIn(value: unknown): string[] {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  const uuids = (text.match(UUID_ANYWHERE) ?? []).map((uuid) => uuid.toLowerCase());
  const ulids = text.match(ULID_ANYWHERE) ?? [];
  const prefixed = [...text.matchAll(PREFIXED_ID_ANYWHERE)].map((match) => match[0]);
  return [...new Set([...uuids, ...ulids, ...prefixed])];
}

export function normaliseBody(body: string, options: FingerprintOptions): string {
  if (body === '') return '';
  const context: Context = { ...options, caller: new Set((options.callerValues ?? []).flatMap((id) => [id, id.toLowerCase()])), now: options.nowMs ?? Date.now() };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    // Text (a form body, XML): the keys and generated ids inside it.
    return replaceGenerated(replaceKeys(body, options.keys), context);
  }
  return JSON.stringify(normalise(value, context, false));
}

function normalise(value: unknown, options: Context, timeField: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => normalise(item, options, timeField));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const field of Object.keys(value).sort()) {
      if (options.ignoreFields.includes(field)) continue;
      out[field] = normalise((value as Record<string, unknown>)[field], options, TIME_FIELD.test(field));
    }
    return out;
  }
  if (typeof value === 'string') {
    if (UUID.test(value)) return options.caller.has(value.toLowerCase()) ? value.toLowerCase() : '<uuid>';
    if (ISO_TIME.test(value)) return timeOf(Date.parse(value.replace(' ', 'T')), value.slice(0, 10), options);
    // In a time-named field, other date formats (an HTTP date...); other text ("monday", "slot 3") stays as it is.
    if (timeField && looksLikeDate(value)) {
      const parsed = Date.parse(value);
      if (Number.isFinite(parsed)) return timeOf(parsed, new Date(parsed).toISOString().slice(0, 10), options);
    }
    return replaceGenerated(replaceKeys(value, options.keys), options);
  }
  if (typeof value === 'number' && timeField) {
    // Epoch seconds or milliseconds (years 2001 to 2286); a small number (a duration) stays as it is.
    const ms = value >= 1e9 && value < 1e10 ? value * 1000 : value >= 1e12 && value < 1e13 ? value : undefined;
    if (ms !== undefined) return timeOf(ms, new Date(ms).toISOString().slice(0, 10), options);
  }
  return value;
}

function looksLikeDate(text: string): boolean {
  return NUMERIC_DATE.test(text) || (MONTH_NAME.test(text) && YEAR.test(text));
}

/** The time of the run is left out; any other time counts by its day. */
function timeOf(ms: number, day: string, options: Context): string {
  if (!Number.isFinite(ms)) return day;
  return Math.abs(ms - options.now) <= TIME_OF_RUN_MS ? '<time>' : `<day ${day}>`;
}

/** Generated ids and times of the run inside a string, each replaced by a placeholder. */
function replaceGenerated(text: string, options: Context): string {
  const kept = (id: string): boolean => options.caller.has(id) || options.caller.has(id.toLowerCase());
  return text
    .replace(UUID_ANYWHERE, (uuid) => (kept(uuid) ? uuid.toLowerCase() : '<uuid>'))
    .replace(ULID_ANYWHERE, (ulid) => (kept(ulid) ? ulid : '<ulid>'))
    .replace(PREFIXED_ID_ANYWHERE, (id, prefix: string) => (kept(id) ? id : `${prefix}_<id>`))
    .replace(ISO_TIME_ANYWHERE, (time) => timeOf(Date.parse(time), time.slice(0, 10), options))
    .replace(EPOCH_ANYWHERE, (digits) => {
      const ms = digits.length === 10 ? Number(digits) * 1000 : Number(digits);
      return Math.abs(ms - options.now) <= TIME_OF_RUN_MS ? '<time>' : digits;
    });
}

function replaceKeys(text: string, keys: readonly string[]): string {
  let out = text;
  // Longest first, so a key that contains another is replaced whole.
  for (const key of [...keys].sort((a, b) => b.length - a.length)) {
    if (key) out = out.split(key).join('<key>');
  }
  return out;
}

export function fingerprint(upstream: string, route: string, normalisedBody: string): string {
  const digest = createHash('sha256').update(normalisedBody).digest('hex').slice(0, 16);
  return `${upstream} ${route} ${digest}`;
}
