// What a case added to the target's own state becomes its effects (issue 17).
import { describe, expect, it } from 'vitest';
import { canonicalJson, recordStateEffects } from '../../src/runner/state-effects.js';
import { CaseRecorder } from '../../src/runner/recorder.js';
import { stateProbes, stateTraits } from '../../src/state/index.js';

const specs = [{ kind: 'sqlite' as const, name: 'orders', noun: 'order row', file: 'x.db', query: 'SELECT 1', ignoreFields: [] }];

describe('recordStateEffects', () => {
  it('records the rows the case added, a repeated row as a second effect, and not the rows that were there before', () => {
    const recorder = new CaseRecorder('case-1', 'create-order');
    const before = [[{ amount: 5 }]];
    const after = [[{ amount: 5 }, { amount: 100 }, { amount: 100 }]];
    recordStateEffects(recorder, stateProbes(specs), before, after);
    const { effects } = recorder.finish(stateTraits(specs));
    expect(effects.map((effect) => [effect.upstream, effect.route, effect.body, effect.requestId])).toEqual([
      ['db', 'orders', '{"amount":100}', 0],
      ['db', 'orders', '{"amount":100}', 0],
    ]);
    // The same row reads the same whatever order its columns came in: one fingerprint.
    expect(effects[0]!.fingerprint).toBe(effects[1]!.fingerprint);
  });

  it('records nothing when the case left the state as it found it', () => {
    const recorder = new CaseRecorder('case-2', 'create-order');
    recordStateEffects(recorder, stateProbes(specs), [[{ a: 1, b: 2 }]], [[{ b: 2, a: 1 }]]);
    expect(recorder.finish(stateTraits(specs)).effects).toEqual([]);
  });

  it('writes JSON with sorted keys', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3] } })).toBe('{"a":{"c":[3],"d":2},"b":1}');
  });
});
