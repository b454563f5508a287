// Several routes on one upstream in the plans: the systematic pass faults each route's
// positions, and explore draws a route on such an upstream (no target is run here).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scheduleArbitrary, scheduleSpace } from '../../src/explore/arbitrary.js';
import { systematicCases, type RouteContacts } from '../../src/explore/systematic.js';
import { parseScenario } from '../../src/scenario/load.js';

const scenario = (faults: string[], depth = 1) =>
  parseScenario(
    JSON.stringify({
      target: { kind: 'command', argv: ['node', 'tool.mjs'] },
      upstreams: {
        api: {
          routes: [
            { model: 'resource', path: '/charges', honoursIdempotencyKey: true },
            { model: 'resource', path: '/audit' },
          ],
        },
        mailer: { model: 'mailer', path: '/messages' },
      },
      operations: [{ name: 'charge', args: ['--key', '{{key}}'] }],
      faults,
      depth,
      probes: { concurrent: false, mismatch: false, dryRun: false, missingKey: false, persistent: true },
    }),
    'plan.json',
  );
const contacts = new Map([['charge', ['api', 'mailer']]]);
// The clean run: POST /charges, GET /audit?ref=…, POST /audit on api, then one email.
const routes: RouteContacts = new Map([['charge', new Map([['api', new Map([['POST /charges', 1], ['GET /audit', 1], ['POST /audit', 1]])]])]]);

describe('the systematic pass on an upstream of several routes', () => {
  it('faults positions 1..depth of each route the clean run sent to, in order of first contact; others as before', () => {
    const planned = systematicCases(scenario(['timeout-after-commit'], 2), contacts, new Set(), routes);
    expect(planned.map((item) => item.id)).toEqual([
      'charge/none',
      'charge/timeout-after-commit@api POST /charges#1',
      'charge/timeout-after-commit@api POST /charges#2',
      'charge/timeout-after-commit@api GET /audit#1',
      'charge/timeout-after-commit@api GET /audit#2',
      'charge/timeout-after-commit@api POST /audit#1',
      'charge/timeout-after-commit@api POST /audit#2',
      'charge/timeout-after-commit@mailer#1',
      'charge/timeout-after-commit@mailer#2',
    ]);
    const audit = planned.find((item) => item.id === 'charge/timeout-after-commit@api POST /audit#2')!;
    expect(audit.schedule.faults).toEqual([{ upstream: 'api', route: 'POST /audit', ordinal: 2, fault: 'timeout-after-commit' }]);
    expect(planned.find((item) => item.id.endsWith('@mailer#1'))!.schedule.faults).toEqual([{ upstream: 'mailer', ordinal: 1, fault: 'timeout-after-commit' }]);
  });

  it('holds 409-in-flight only on the route that keeps keys; 503 on every route', () => {
    const persistent = (faults: string[]) =>
      systematicCases(scenario(faults), contacts, new Set(), routes)
        .filter((item) => item.id.endsWith('#1+'))
        .map((item) => item.id);
    expect(persistent(['409-in-flight'])).toEqual(['charge/409-in-flight@api POST /charges#1+']);
    expect(persistent(['503-before-commit'])).toEqual([
      'charge/503-before-commit@api POST /charges#1+',
      'charge/503-before-commit@api GET /audit#1+',
      'charge/503-before-commit@api POST /audit#1+',
      'charge/503-before-commit@mailer#1+',
    ]);
  });

  it('without route contacts (an upstream of one model) the plan is per upstream, as before', () => {
    const ids = systematicCases(scenario(['timeout-after-commit']), contacts).map((item) => item.id);
    expect(ids).toEqual(['charge/none', 'charge/timeout-after-commit@api#1', 'charge/timeout-after-commit@mailer#1']);
  });
});

describe('explore on an upstream of several routes', () => {
  it('draws a route of the clean run on it, and no route elsewhere', () => {
    const space = scheduleSpace(scenario(['none', 'timeout-after-commit', '503-after-commit']), contacts, new Set(), routes);
    expect(space.operations[0]!.routes).toEqual(new Map([['api', ['POST /charges', 'GET /audit', 'POST /audit']]]));
    const bindings = fc.sample(scheduleArbitrary(space), { seed: 7, numRuns: 300 }).flatMap((schedule) => schedule.faults.filter((binding) => binding.fault !== 'slow'));
    const onApi = bindings.filter((binding) => binding.upstream === 'api');
    expect(new Set(onApi.map((binding) => binding.route))).toEqual(new Set(['POST /charges', 'GET /audit', 'POST /audit']));
    expect(bindings.filter((binding) => binding.upstream === 'mailer').every((binding) => binding.route === undefined)).toBe(true);
    expect(bindings.some((binding) => binding.upstream === 'mailer')).toBe(true);
  });
});
