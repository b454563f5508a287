/**
 * Reads an Idempotency-Key header. The IETF draft makes it a Structured Field
 * String (`"abc"`); Stripe and most clients send it bare (`abc`). Both are the
 * same key.
 */
export function parseIdempotencyKey(header: string | null | undefined): string | null {
  if (header === null || header === undefined) return null;
  const trimmed = header.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    return trimmed.slice(1, -1).replace(/\\(["\\])/g, '$1');
  }
  return trimmed;
}
