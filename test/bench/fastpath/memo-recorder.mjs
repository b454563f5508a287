// PROTOTYPE (benchmark only): CaseRecorder.finish with its fingerprints
// memoised. A committed request and its effect usually carry the same body, and
// a target's retries send the same body again: each distinct (upstream, route,
// body) is normalised and hashed once per case instead of once per row.
// Same rows out (checked by lib/equivalence.mjs). For src/runner/recorder.ts.
import { fingerprint, normaliseBody } from '../../../dist/upstream/fingerprint.js';
import { CaseRecorder } from '../../../dist/runner/recorder.js';

export class MemoCaseRecorder extends CaseRecorder {
  finish(traits) {
    const keys = [...this.keys];
    const memo = new Map();
    const fingerprintOf = (upstream, route, body) => {
      const id = `${upstream}\u0000${route}\u0000${body}`;
      let value = memo.get(id);
      if (value === undefined) {
        value = fingerprint(upstream, route, normaliseBody(body, { keys, ignoreFields: traits.get(upstream)?.ignoreFields ?? [] }));
        memo.set(id, value);
      }
      return value;
    };
    for (const request of this.requests) {
      request.bodyFingerprint = fingerprintOf(request.upstream, request.route, request.body);
    }
    return {
      invocations: [...this.invocations].sort((a, b) => a.id - b.id),
      requests: this.requests,
      effects: this.effects.map((effect) => ({ ...effect, fingerprint: fingerprintOf(effect.upstream, effect.route, effect.body) })),
    };
  }
}
