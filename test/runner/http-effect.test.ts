import { describe, expect, it } from 'vitest';
import { effectFor } from '../../src/runner/http-effect.js';

const replayed = { 'idempotent-replayed': 'true' };

describe('effectFor (what an http response says it did)', () => {
  it('reads the body\'s effect first', () => {
    expect(effectFor({ httpStatus: 201, bodyJson: { effect: 'created' }, headers: replayed })).toBe('created');
  });

  it('takes a 2xx marked Idempotent-Replayed as noop', () => {
    expect(effectFor({ httpStatus: 200, bodyJson: { id: 'ord_1' }, headers: replayed })).toBe('noop');
    expect(effectFor({ httpStatus: 200, bodyJson: { id: 'ord_1' }, headers: {} })).toBeNull();
  });

  it('does not call a faithfully replayed error a noop (issue 13, class 4: exit-codes blamed it for a non-2xx noop)', () => {
    expect(effectFor({ httpStatus: 502, bodyJson: { error: 'upstream failed' }, headers: replayed })).toBeNull();
    expect(effectFor({ httpStatus: null, bodyJson: null, headers: null })).toBeNull();
  });
});
