/**
 * Which paths a built-in model's fast routes claim: only those where a plain
 * string comparison gives msw's own match for `*PATH` and `*PATH/:id`.
 */
import { describe, expect, it } from 'vitest';
import { plainPath } from '../../src/upstream/models/plain-path.js';

describe('plainPath', () => {
  it('is undefined for a path with msw or path-to-regexp syntax', () => {
    for (const path of ['/charges/:id', '/charges/*', '/charges(x)', '/charges/', '/a b', '/ch%61rges', '/charges?x=1']) {
      expect(plainPath(path), path).toBeUndefined();
    }
    // A dot is plain text: the fast routes claim exactly that path.
    expect(plainPath('/v1/charges.json')?.isCollection('/v1/charges.json')).toBe(true);
  });

  it('the collection: exactly the path, with or without a trailing slash', () => {
    const paths = plainPath('/v1/charges')!;
    expect(paths.isCollection('/v1/charges')).toBe(true);
    expect(paths.isCollection('/v1/charges/')).toBe(true);
    expect(paths.isCollection('/V1/charges')).toBe(false);
    expect(paths.isCollection('/x/v1/charges')).toBe(false);
    expect(paths.isCollection('/v1/charges//')).toBe(false);
  });

  it('an item: one plain segment after the path', () => {
    const paths = plainPath('/charges')!;
    expect(paths.itemId('/charges/cha_1')).toBe('cha_1');
    expect(paths.itemId('/charges/cha_1/')).toBe('cha_1');
    expect(paths.itemId('/charges/xcharges')).toBe('xcharges');
    for (const pathname of ['/charges', '/charges/', '/charges//', '/charges/a/b', '/charges/%63ha_1', '/Charges/cha_1', '/x/charges/cha_1']) {
      expect(paths.itemId(pathname), pathname).toBeUndefined();
    }
  });

  it('never an item that msw matches as the collection first (it ignores case)', () => {
    const paths = plainPath('/charges')!;
    for (const pathname of ['/charges/charges', '/charges/CHARGES', '/charges/Charges/']) {
      expect(paths.itemId(pathname), pathname).toBeUndefined();
    }
  });
});
