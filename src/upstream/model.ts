import type { RequestHandler } from 'msw';

/** A mock upstream service: msw handlers plus the state they share. */
export interface UpstreamModel {
  readonly handlers: RequestHandler[];
  /** Forget everything: each case starts from a fresh upstream. */
  reset(): void;
  readonly traits: UpstreamTraits;
}

export interface UpstreamTraits {
  /** Does a repeated Idempotency-Key come back without a new effect? */
  deduplicates: boolean;
  /** Can a client look up what it created (by a client reference or key)? */
  lookup: boolean;
  /** What one effect is called: "charge", "email". */
  noun: string;
  ignoreFields: string[];
}
