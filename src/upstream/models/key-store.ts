import { createHash } from 'node:crypto';

/** One Idempotency-Key an upstream has seen: the request it came with, and its answer once given. */
export interface StoredKey {
  bodyHash: string;
  /** Absent while the first request with this key is still being served. */
  response?: { status: number; body: unknown; headers?: Record<string, string> };
}

/** What an upstream that honours Idempotency-Key does with a request that carries one. */
export type KeyAdmission =
  | { kind: 'reused' }
  | { kind: 'in-flight' }
  | { kind: 'replay'; response: NonNullable<StoredKey['response']> }
  /** A new key: serve the request, then `settle` the answer so a replay returns it. */
  | { kind: 'fresh'; settle(response: NonNullable<StoredKey['response']>): void };

/**
 * The Idempotency-Key store of one upstream, as Stripe keeps it: the first
 * request's answer is replayed, the same key with other parameters is refused
 * (`reused`), and a key whose first request is not answered yet is `in-flight`.
 * The same parameters written another way (key order, spaces, JSON or form)
 * are the same request. Shared by the resource model and the document models
 * (openapi, har), so every upstream that honours keys judges them alike.
 */
export class KeyStore {
  private readonly keys = new Map<string, StoredKey>();

  /** `scope` keeps keys of different operations apart where an upstream serves several (an OpenAPI document). */
  admit(key: string, fields: Record<string, unknown>, bodyText: string, scope = ''): KeyAdmission {
    const bodyHash = createHash('sha256').update(`${scope}\n${bodyText ? canonicalJson(fields) : ''}`).digest('hex');
    const stored = this.keys.get(key);
    if (stored && stored.bodyHash !== bodyHash) return { kind: 'reused' };
    if (stored && !stored.response) return { kind: 'in-flight' };
    if (stored?.response) return { kind: 'replay', response: stored.response };
    const entry: StoredKey = { bodyHash };
    this.keys.set(key, entry);
    return {
      kind: 'fresh',
      settle(response) {
        entry.response = response;
      },
    };
  }

  clear(): void {
    this.keys.clear();
  }
}

/** JSON with object keys sorted: one text for the same parameters in any order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
