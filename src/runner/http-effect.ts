import type { HttpObservation } from '../targets/http-client.js';
import { effectOf } from '../targets/parse-output.js';

/**
 * What an API's response says it did: the body's `effect` field; else `noop`
 * for a 2xx marked `Idempotent-Replayed: true`; else null. A replayed error
 * (the first answer was a 502, and the draft asks the replay to repeat it)
 * claims nothing: it is the stored failure, faithfully repeated, not a noop.
 */
export function effectFor(observation: Pick<HttpObservation, 'httpStatus' | 'bodyJson' | 'headers'>): string | null {
  if (observation.httpStatus === null) return null;
  const fromBody = effectOf(observation.bodyJson);
  if (fromBody !== null) return fromBody;
  const replayed = observation.headers?.['idempotent-replayed']?.trim().toLowerCase() === 'true';
  return replayed && observation.httpStatus >= 200 && observation.httpStatus < 300 ? 'noop' : null;
}
