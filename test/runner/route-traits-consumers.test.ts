// The consumers of upstream traits on an upstream of several routes: each request and effect is
// judged by its route's own traits (noun, deduplicates and look-up, ignoreFields), from hand-built rows.
import { describe, expect, it } from 'vitest';
import { noDuplicateEffects } from '../../src/checks/effects/no-duplicate-effects.js';
import { countByRoute } from '../../src/checks/check.js';
import type { CaseRows } from '../../src/ledger/rows.js';
import { describeOutcome } from '../../src/runner/describe-outcome.js';
import { constructionNotes } from '../../src/runner/notes.js';
import { CaseRecorder } from '../../src/runner/recorder.js';
import type { UpstreamTraits } from '../../src/upstream/model.js';
import { charges, mailer } from '../helpers/upstream.js';
import { routesModel } from '../../src/upstream/models/routes.js';
import { eff, inv, req } from '../fixtures/check-targets-2/rows.js';

const api = routesModel([
  { path: '/charges', model: charges({ honoursIdempotencyKey: true }) },
  { path: '/audit', model: charges({ path: '/audit', noun: 'audit record', ignoreFields: ['at'] }) },
  { path: '/emails', model: mailer({ path: '/emails' }) },
]);
const traits = new Map<string, UpstreamTraits>([['api', api.traits]]);
const on = (route: string) => ({ upstream: 'api', route, fingerprint: `api ${route}` });
const rows = (spec: Partial<CaseRows>): CaseRows => ({ invocations: [], requests: [], effects: [], ...spec });

describe('route-aware traits in reports and checks', () => {
  const clean = [eff(1, 1, on('POST /charges')), eff(2, 2, on('POST /audit'))];
  const baseline = { operation: 'op', effects: clean, routeCounts: countByRoute(clean) };

  it('no-duplicate-effects and the outcome count in each route\'s noun', () => {
    const effects = [eff(1, 1, on('POST /charges')), eff(2, 2, on('POST /charges')), eff(3, 3, on('POST /audit'))];
    const requests = [1, 2, 3].map((id) => req(id, 1, { upstream: 'api', route: effects[id - 1]!.route }));
    const caseRows = rows({ invocations: [inv(1)], requests, effects });
    const result = noDuplicateEffects.evaluate({ operation: 'op', schedule: { operation: 'op', faults: [], caller: { retries: 0, key: 'same', replay: false, delayMs: 0 } }, rows: caseRows, baseline, exitCodes: { success: [0], failure: [1] }, traits });
    expect(result.status).toBe('fail');
    expect(result.message).toMatch(/duplicate effects: 2 charges on api POST \/charges \(clean run: 1\)/);
    expect(describeOutcome(caseRows, baseline, 'success', traits)).toBe(
      '1 audit record committed on api POST /audit (clean run: 1); 2 charges committed on api POST /charges (clean run: 1); ended in success after 1 invocation',
    );
  });

  it('"unsafe by construction" names the route that neither deduplicates nor offers a look-up, not its neighbours', () => {
    const lost = (id: number, route: string) => req(id, 1, { upstream: 'api', path: route.split(' ')[1]!, route, delivery: 'held', clientStatus: null });
    expect(constructionNotes(rows({ requests: [lost(1, 'POST /charges'), lost(2, 'POST /audit')] }), 'unknown', traits)).toEqual([]);
    const notes = constructionNotes(rows({ requests: [lost(1, 'POST /charges'), lost(2, 'POST /emails')] }), 'unknown', traits);
    expect(notes).toEqual([expect.stringMatching(/^unsafe by construction of the upstream: api \/emails neither deduplicates nor offers a look-up/)]);
  });

  it('fingerprints leave out the ignoreFields of the route that took the body, and only there', () => {
    const recorder = new CaseRecorder('case', 'op');
    for (const [route, body] of [['POST /audit', '{"event":"x","at":1}'], ['POST /audit', '{"event":"x","at":2}'], ['POST /charges', '{"amount":1,"at":1}'], ['POST /charges', '{"amount":1,"at":2}']]) {
      recorder.startRequest({ upstream: 'api', ordinal: 1, method: 'POST', path: route.split(' ')[1]!, route: route!, idempotencyKey: null, body: body!, bodyFingerprint: '', fault: 'none', committed: false, outcome: 'committed', delivery: 'response', upstreamStatus: 201, clientStatus: 201 });
    }
    const [auditA, auditB, chargeA, chargeB] = recorder.finish(traits).requests.map((request) => request.bodyFingerprint);
    expect(auditA).toBe(auditB);
    expect(chargeA).not.toBe(chargeB);
  });
});
