/**
 * `npm run bench` exits 1 when a figure misses its target (issue 18): the
 * exit decision of test/bench/run.mjs, without running the bench.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs helper of the bench, without types
import { benchVerdict } from '../bench/lib/verdict.mjs';

const row = (figure: string, met: boolean | null, value = '1.2', target = '≤ 1.15') => ({ figure, value, target, met });

describe('the bench exit status', () => {
  it('is 0 when every figure with a target met it (figures without a target are not judged)', () => {
    expect(benchVerdict([row('overhead', true), row('profile share', null), row('info', undefined as unknown as null)], false)).toEqual({ code: 0, missed: [] });
  });

  it('is 1 when a figure misses its target, naming it with its value and target', () => {
    const verdict = benchVerdict([row('overhead', true), row('throughput / mountebank', false, '1.34', '≥ 1.5')], false);
    expect(verdict.code).toBe(1);
    expect(verdict.missed).toEqual(['throughput / mountebank: 1.34 (target ≥ 1.5)']);
  });

  it('is 1 when a section failed, even with every figure met', () => {
    expect(benchVerdict([row('overhead', true)], true).code).toBe(1);
    expect(benchVerdict([], true)).toEqual({ code: 1, missed: [] });
  });
});
