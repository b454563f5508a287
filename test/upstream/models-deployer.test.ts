/**
 * The built-in deployer upstream, served over a real socket and read back from
 * the ledger: setting a new version is one effect; setting the version already
 * deployed is answered 200 {changed: false} and is no effect (naturally
 * idempotent), recorded as a no-op rather than a commit.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestRow } from '../../src/ledger/rows.js';
import { parseScenario } from '../../src/scenario/load.js';
import { deployerModel, type DeployerOptions } from '../../src/upstream/models/deployer.js';
import { createModel, loadModel } from '../../src/upstream/models/index.js';
import { TempLedger, UpstreamHarness } from '../helpers/upstream.js';

let harness: UpstreamHarness | undefined;
let ledger: TempLedger | undefined;

function deployer(overrides: Partial<DeployerOptions> = {}) {
  return deployerModel({ path: '/services/web/deployment', noun: 'deploy', ignoreFields: [], ...overrides });
}

async function serve(model = deployer()): Promise<{ h: UpstreamHarness; l: TempLedger }> {
  harness = await UpstreamHarness.start(model, { name: 'deploy' });
  ledger = new TempLedger();
  return { h: harness, l: ledger };
}

afterEach(async () => {
  try {
    await harness?.close();
  } finally {
    ledger?.close();
    harness = undefined;
    ledger = undefined;
  }
});

const PATH = '/services/web/deployment';
const put = (h: UpstreamHarness, body: unknown) => h.send('PUT', PATH, body);

/**
 * The ledger outcome of a no-op. `unchanged` once the pipeline records that
 * outcome (src/upstream/pipeline.ts passes `unchanged` in its handler context
 * and RequestOutcome lists it); until then recordUnchanged() falls back to
 * `replayed`. Either way: no commit, no effect.
 */
function expectNoOp(row: RequestRow | undefined): void {
  expect(row).toBeDefined();
  expect(row!.outcome).toBe('unchanged');
  expect(row!.committed).toBe(false);
}

describe('deployer', () => {
  it('a new version is one effect; the same version again is 200 {changed: false} and no effect', async () => {
    const { h, l } = await serve();
    const started = h.begin();
    const first = await put(h, { version: 'v2' });
    const again = await put(h, { version: 'v2' });
    const read = await h.get(PATH);
    const rows = await l.store(h, started);

    expect([first.status, first.json]).toEqual([200, { version: 'v2', previous: null, changed: true }]);
    expect([again.status, again.json]).toEqual([200, { version: 'v2', changed: false }]);
    expect(read.json).toEqual({ version: 'v2' });
    expect(rows.requests[0]).toMatchObject({ method: 'PUT', outcome: 'committed', committed: true, upstreamStatus: 200 });
    expectNoOp(rows.requests[1]);
    expect(rows.requests[1]).toMatchObject({ upstreamStatus: 200, clientStatus: 200 });
    expect(rows.requests[2]).toMatchObject({ method: 'GET', outcome: 'read', committed: false });
    expect(rows.effects).toHaveLength(1);
    expect(rows.effects[0]).toMatchObject({ route: `PUT ${PATH}`, resourceId: 'v2', requestId: 1 });
  });

  it('another version is another effect, and says what it replaced', async () => {
    const { h, l } = await serve();
    const started = h.begin();
    await put(h, { version: 'v2' });
    const next = await put(h, { version: 'v3' });
    const back = await put(h, { version: 'v2' });
    const rows = await l.store(h, started);
    expect(next.json).toEqual({ version: 'v3', previous: 'v2', changed: true });
    expect(back.json).toEqual({ version: 'v2', previous: 'v3', changed: true });
    expect(rows.effects.map((effect) => effect.resourceId)).toEqual(['v2', 'v3', 'v2']);
  });

  it('a numeric version is the same version as its string', async () => {
    const { h, l } = await serve();
    const started = h.begin();
    await put(h, { version: 7 });
    const again = await put(h, { version: '7' });
    const rows = await l.store(h, started);
    expect(again.json).toEqual({ version: '7', changed: false });
    expect(rows.effects).toHaveLength(1);
  });

  it('the initial version is already deployed: putting it is no effect', async () => {
    const { h, l } = await serve(deployer({ initialVersion: 'v1' }));
    const started = h.begin();
    const before = await h.get(PATH);
    const same = await put(h, { version: 'v1' });
    const rows = await l.store(h, started);
    expect(before.json).toEqual({ version: 'v1' });
    expect(same.json).toEqual({ version: 'v1', changed: false });
    expectNoOp(rows.requests[1]);
    expect(rows.effects).toHaveLength(0);
  });

  it('a blind retry after 503-after-commit is safe: one effect, the retry is a no-op', async () => {
    const { h, l } = await serve();
    const started = h.begin([h.fault('503-after-commit', 1)]);
    const first = await put(h, { version: 'v2' });
    const retry = await put(h, { version: 'v2' });
    const rows = await l.store(h, started);
    expect([first.status, retry.status]).toEqual([503, 200]);
    expect(retry.json).toEqual({ version: 'v2', changed: false });
    expect(rows.requests[0]).toMatchObject({ fault: '503-after-commit', committed: true, clientStatus: 503 });
    expectNoOp(rows.requests[1]);
    expect(rows.effects).toHaveLength(1);
  });

  it.each([
    ['not JSON', 'v2'],
    ['without a version', { tag: 'v2' }],
    ['with an empty version', { version: '' }],
    ['with a version that is an object', { version: { major: 2 } }],
  ])('a body %s: 400, rejected, nothing deployed', async (_label, body) => {
    const { h, l } = await serve();
    const started = h.begin();
    const answer = await put(h, body);
    const read = await h.get(PATH);
    const rows = await l.store(h, started);
    expect(answer.status).toBe(400);
    expect(read.json).toEqual({ version: null });
    expect(rows.requests[0]).toMatchObject({ outcome: 'rejected', committed: false });
    expect(rows.effects).toHaveLength(0);
  });

  it('each case starts from the initial version', async () => {
    const { h, l } = await serve(deployer({ initialVersion: 'v1' }));
    const one = h.begin([], 'case-a');
    await put(h, { version: 'v9' });
    await l.store(h, one);
    const two = h.begin([], 'case-b');
    const read = await h.get(PATH);
    await l.store(h, two);
    expect(read.json).toEqual({ version: 'v1' });
  });

  it('POST is not a deploy: 404, unmatched', async () => {
    const { h, l } = await serve();
    const started = h.begin();
    const answer = await h.post(PATH, { version: 'v2' });
    const rows = await l.store(h, started);
    expect(answer.status).toBe(404);
    expect(rows.requests[0]).toMatchObject({ outcome: 'unmatched' });
    expect(rows.effects).toHaveLength(0);
  });

  it('deduplicates by nature and offers a look-up', () => {
    expect(deployer().traits).toEqual({ deduplicates: true, lookup: true, noun: 'deploy', ignoreFields: [] });
  });
});

describe('deployer in a scenario', () => {
  const text = (upstream: string): string =>
    `target: {kind: command, argv: [node, tool.mjs]}\nupstreams:\n  deploy: ${upstream}\noperations: [{name: ship}]\n`;

  it('has defaults for path, noun and initial version, and builds through createModel and loadModel', async () => {
    const scenario = parseScenario(text('{model: deployer}'), path.join(process.cwd(), 'scenario.yaml'));
    const spec = scenario.upstreams.deploy!;
    expect(spec).toEqual({ model: 'deployer', path: '/deployment', initialVersion: null, noun: 'deploy', ignoreFields: [] });
    expect(createModel(spec).traits.lookup).toBe(true);
    const loaded = await loadModel(spec, { upstream: 'deploy', scenario });
    expect(loaded.traits).toEqual({ deduplicates: true, lookup: true, noun: 'deploy', ignoreFields: [] });
  });

  it('takes an initial version and path', () => {
    const scenario = parseScenario(text('{model: deployer, path: /web, initialVersion: "1.0.0"}'), 'scenario.yaml');
    expect(scenario.upstreams.deploy).toMatchObject({ path: '/web', initialVersion: '1.0.0' });
  });
});
