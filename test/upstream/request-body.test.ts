/** Built-in models read JSON bodies and form bodies with nested keys, as payment SDKs encode them. */
import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../src/upstream/models/request-body.js';

const FORM = 'application/x-www-form-urlencoded';

describe('decodeBody', () => {
  it('reads Stripe\'s bracket encoding: nested objects, indexed arrays, appended arrays', () => {
    const text = 'amount=100&currency=eur&metadata[order]=7&items[0][price]=x&items[1][price]=y&expand[]=a&expand[]=b';
    expect(decodeBody(text, FORM)).toEqual({
      ok: true,
      fields: { amount: '100', currency: 'eur', metadata: { order: '7' }, items: [{ price: 'x' }, { price: 'y' }], expand: ['a', 'b'] },
    });
  });

  it('reads percent-encoded brackets and values, and a content type with parameters', () => {
    const text = 'metadata%5Border%5D=a%20b%26c&description=caf%C3%A9+ok';
    expect(decodeBody(text, 'Application/X-WWW-Form-Urlencoded; charset=utf-8')).toEqual({
      ok: true,
      fields: { metadata: { order: 'a b&c' }, description: 'café ok' },
    });
  });

  it('keeps more than 20 array items and 6 levels of nesting as arrays and objects', () => {
    const items = Array.from({ length: 25 }, (_, i) => `items[${i}][price]=p${i}`).join('&');
    const decoded = decodeBody(`${items}&a[b][c][d][e][f]=deep`, FORM);
    expect(decoded.ok && Array.isArray(decoded.fields.items) && decoded.fields.items.length).toBe(25);
    expect(decoded.ok && decoded.fields.a).toEqual({ b: { c: { d: { e: { f: 'deep' } } } } });
  });

  it('does not let a form key reach Object.prototype', () => {
    const decoded = decodeBody('__proto__[polluted]=yes&amount=1', FORM);
    expect(decoded).toEqual({ ok: true, fields: { amount: '1' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads JSON as before, whatever the content type says, and no body as no fields', () => {
    expect(decodeBody('{"amount":100,"meta":{"a":1}}', 'application/json')).toEqual({ ok: true, fields: { amount: 100, meta: { a: 1 } } });
    expect(decodeBody('{"amount":100}', null)).toEqual({ ok: true, fields: { amount: 100 } });
    expect(decodeBody('', FORM)).toEqual({ ok: true, fields: {} });
  });

  it('refuses a body that is neither, naming both accepted forms', () => {
    expect(decodeBody('amount=100', 'application/json')).toEqual({ ok: false, problem: 'body must be JSON or application/x-www-form-urlencoded' });
    expect(decodeBody('{not json', null)).toEqual({ ok: false, problem: 'body must be JSON or application/x-www-form-urlencoded' });
  });
});
