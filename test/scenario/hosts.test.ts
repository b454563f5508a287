/**
 * Proxy mode's scenario fields: an upstream declared by `host:` or `hosts:`.
 * Good declarations load (lower-cased, merged); bad ones are refused naming
 * the file, the field and the fix.
 */
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { RetryproofError } from '../../src/errors.js';
import { declaredHosts, parseScenario } from '../../src/scenario/load.js';

function scenario(upstreams: Record<string, unknown>, target: Record<string, unknown> = { kind: 'command', argv: ['curl'] }): string {
  return YAML.stringify({ target, upstreams, operations: [{ name: 'charge', args: ['https://api.stripe.com/v1/charges'] }] });
}

function refusal(text: string): RetryproofError {
  try {
    parseScenario(text, 'proxy.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(RetryproofError);
    return error as RetryproofError;
  }
  throw new Error('the scenario loaded');
}

describe('host and hosts', () => {
  it('load on any model, lower-cased, host and hosts together', () => {
    const loaded = parseScenario(
      scenario({
        stripe: { model: 'resource', path: '/v1/charges', host: 'API.Stripe.com', hosts: ['files.stripe.com', 'api.stripe.com'] },
        mail: { model: 'mailer', hosts: ['api.sendgrid.com'] },
        billing: { routes: [{ model: 'resource', path: '/invoices' }], host: 'billing.example.test' },
      }),
      'proxy.yaml',
    );
    expect(declaredHosts(loaded.upstreams.stripe!)).toEqual(['api.stripe.com', 'files.stripe.com']);
    expect(declaredHosts(loaded.upstreams.mail!)).toEqual(['api.sendgrid.com']);
    expect(declaredHosts(loaded.upstreams.billing!)).toEqual(['billing.example.test']);
  });

  it('an upstream without them declares none (the harness starts no proxy for it)', () => {
    const loaded = parseScenario(scenario({ api: { model: 'resource' } }), 'proxy.yaml');
    expect(declaredHosts(loaded.upstreams.api!)).toEqual([]);
  });

  it.each([
    ['https://api.stripe.com', 'a scheme'],
    ['api.stripe.com:443', 'a port'],
    ['api.stripe.com/v1', 'a path'],
  ])('refuses %s (%s) naming the field', (host) => {
    const error = refusal(scenario({ stripe: { model: 'resource', host } }));
    expect(error.code).toBe('SCENARIO_INVALID');
    expect(error.where).toMatchObject({ file: 'proxy.yaml', field: 'upstreams.stripe.host' });
    expect(error.message).toContain('a host name such as api.stripe.com');
  });

  it('refuses a host declared by two upstreams', () => {
    const error = refusal(scenario({ a: { model: 'resource', host: 'api.stripe.com' }, b: { model: 'mailer', hosts: ['API.STRIPE.COM'] } }));
    expect(error.where.field).toBe('upstreams.b.hosts');
    expect(error.message).toBe('api.stripe.com is declared by upstream a already');
    expect(error.fix).toContain('routes:');
  });

  it('refuses host on a module target, with the fix', () => {
    const error = refusal(scenario({ stripe: { model: 'resource', host: 'api.stripe.com' } }, { kind: 'module', path: 'x.mjs' }));
    expect(error.where.field).toBe('upstreams.stripe.host');
    expect(error.message).toContain('host is only for command targets (this target is module)');
    expect(error.fix).toContain('{{upstreams.stripe.url}}');
    expect(error.describe()).toContain('proxy.yaml');
  });
});
