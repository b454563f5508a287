import { createHash } from 'node:crypto';

/**
 * Fingerprints a request body so that effects of a faulted case can be
 * compared with the clean run's: generated ids, timestamps and idempotency keys
 * differ from run to run and are left out; everything else counts.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const TIME_FIELD = /^(timestamp|ts|time|date|created(_at|At)?|updated(_at|At)?|sent(_at|At)?|now)$/;

export interface FingerprintOptions {
  /** Keys the caller used in this case: replaced by a placeholder. */
  keys: readonly string[];
  /** Fields the scenario says to leave out. */
  ignoreFields: readonly string[];
}

export function normaliseBody(body: string, options: FingerprintOptions): string {
  if (body === '') return '';
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return replaceKeys(body, options.keys);
  }
  return JSON.stringify(normalise(value, options));
}

function normalise(value: unknown, options: FingerprintOptions): unknown {
  if (Array.isArray(value)) return value.map((item) => normalise(item, options));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const field of Object.keys(value).sort()) {
      if (options.ignoreFields.includes(field) || TIME_FIELD.test(field)) continue;
      out[field] = normalise((value as Record<string, unknown>)[field], options);
    }
    return out;
  }
  if (typeof value === 'string') {
    if (UUID.test(value)) return '<uuid>';
    if (ISO_TIME.test(value)) return '<time>';
    return replaceKeys(value, options.keys);
  }
  return value;
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
