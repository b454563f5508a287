import qs from 'qs';

/** A request body a built-in model read: its fields, or why it could not. */
export type DecodedBody = { ok: true; fields: Record<string, unknown> } | { ok: false; problem: string };

const FORM = 'application/x-www-form-urlencoded';

/**
 * The fields of a request body: JSON, or a form as payment APIs send it
 * (`application/x-www-form-urlencoded` with bracketed nested keys, as Stripe
 * encodes them: `metadata[order]=7`, `items[0][price]=x`, `expand[]=a`).
 * Form values stay strings: a form carries no types, and guessing them would
 * make `"007"` and `7` one request. An empty body has no fields.
 */
export function decodeBody(text: string, contentType: string | null): DecodedBody {
  if (!text) return { ok: true, fields: {} };
  if (isForm(contentType)) return { ok: true, fields: decodeForm(text) };
  try {
    const parsed: unknown = JSON.parse(text);
    return { ok: true, fields: parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {} };
  } catch {
    return { ok: false, problem: `body must be JSON or ${FORM}` };
  }
}

/** Whether a request's Content-Type says form-encoded (parameters such as charset aside). */
export function isForm(contentType: string | null): boolean {
  return contentType !== null && contentType.split(';', 1)[0]!.trim().toLowerCase() === FORM;
}

// qs is the decoder Stripe's own SDKs encode for (bracket notation). Its limits are raised
// from 20 array items and 5 levels, which a line-item list or nested metadata can pass;
// keys that would reach Object.prototype (`__proto__[x]`) are dropped, as qs does by default.
const FORM_OPTIONS = { depth: 10, arrayLimit: 1000, parameterLimit: 10_000 } as const;

/** The fields of a form-encoded body, nested keys as objects and arrays. */
export function decodeForm(text: string): Record<string, unknown> {
  return qs.parse(text, FORM_OPTIONS) as Record<string, unknown>;
}
