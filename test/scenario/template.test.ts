import { describe, expect, it } from 'vitest';
import { renderTemplate, templateReferences, unresolvedReason } from '../../src/scenario/template.js';

const known = { upstreams: ['payments', 'mailer'], inputs: ['amount'] };

describe('templates', () => {
  it('finds every reference, with or without inner spaces', () => {
    expect(templateReferences('{{upstreams.payments.url}}/x?k={{ key }}&a={{input.amount}}')).toEqual([
      'upstreams.payments.url',
      'key',
      'input.amount',
    ]);
    expect(templateReferences('no templates, {single} braces')).toEqual([]);
  });

  it('resolves the declared names and explains the others', () => {
    for (const reference of ['key', 'operation', 'case.dir', 'upstreams.mailer.url', 'input.amount']) {
      expect(unresolvedReason(reference, known)).toBeUndefined();
    }
    expect(unresolvedReason('upstreams.billing.url', known)).toMatch(/unknown upstream "billing".*payments, mailer/);
    expect(unresolvedReason('input.to', known)).toMatch(/unknown input "to".*amount/);
    expect(unresolvedReason('upstreams.payments.host', known)).toMatch(/unknown template/);
    expect(unresolvedReason('KEY', known)).toMatch(/unknown template/);
  });

  it('renders values verbatim, once, without re-expanding them', () => {
    const values = new Map([
      ['key', '{{key}} $(echo hi)'],
      ['upstreams.payments.url', 'http://127.0.0.1:4000'],
    ]);
    expect(renderTemplate('{{upstreams.payments.url}}/charges?key={{ key }}', values)).toBe('http://127.0.0.1:4000/charges?key={{key}} $(echo hi)');
    expect(() => renderTemplate('{{input.amount}}', values)).toThrow(/input\.amount/);
  });
});
