/**
 * `model: har` and `replay --har`, end to end on an incident: the real stripe
 * SDK (test/fixtures/stripe-sdk/create-intent.mjs, naive-retry mode) creates a
 * PaymentIntent through a recording proxy written here; the proxy holds the
 * first answer until the SDK times out, as the network did, and the job's own
 * loop creates again with a new key: two intents. The recording is test/fixtures/har/incident.har (written again with
 * RETRYPROOF_RECORD_HAR=1). `replay --har incident.har --scenario incident.yaml`
 * puts timeout-after-commit on the first recorded create and fails with a
 * duplicate (exit 1); the fix (the SDK's own retries, one key) passes (exit 0).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, expect, it } from 'vitest';
import { replayCommand } from '../../src/cli/commands/replay.js';
import { RetryproofError } from '../../src/errors.js';
import { resourceModel } from '../../src/upstream/models/resource.js';
import { describeEndToEnd } from '../helpers/end-to-end.js';
import { fixture } from '../helpers/scenario.js';
import { UpstreamHarness } from '../helpers/upstream.js';

const HAR = fixture('har', 'incident.har');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface HarEntry {
  request: { method: string; url: string; postData?: { text: string } };
  response: { status: number; content: { text: string } };
  comment?: string;
}

/** A forwarding proxy on 127.0.0.1 that writes every exchange as a HAR 1.2 entry, and never delivers the answer of the first POST. */
async function recordingProxy(upstreamUrl: string): Promise<{ url: string; entries: HarEntry[]; close(): Promise<void> }> {
  const entries: HarEntry[] = [];
  let posts = 0;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const started = new Date();
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name))) as Record<string, string>;
    const answer = await request(`${upstreamUrl}${req.url}`, { method: req.method as 'POST', headers, body: body.length > 0 ? body : undefined });
    const text = await answer.body.text();
    const lost = req.method === 'POST' && ++posts === 1;
    const pairs = (record: Record<string, string | string[] | undefined>) =>
      Object.entries(record).flatMap(([name, value]) => (value === undefined ? [] : [value].flat().map((one) => ({ name, value: name === 'authorization' ? 'Bearer [redacted]' : one }))));
    entries.push({
      startedDateTime: started.toISOString(),
      time: Date.now() - started.getTime(),
      request: {
        method: req.method!,
        url: `${upstreamUrl}${req.url}`,
        httpVersion: 'HTTP/1.1',
        headers: pairs(req.headers),
        queryString: [],
        cookies: [],
        headersSize: -1,
        bodySize: body.length,
        ...(body.length > 0 && { postData: { mimeType: req.headers['content-type'] ?? '', text: body.toString('utf8') } }),
      },
      response: {
        status: answer.statusCode,
        statusText: '',
        httpVersion: 'HTTP/1.1',
        headers: pairs(answer.headers),
        cookies: [],
        content: { size: Buffer.byteLength(text), mimeType: String(answer.headers['content-type'] ?? ''), text },
        redirectURL: '',
        headersSize: -1,
        bodySize: Buffer.byteLength(text),
      },
      cache: {},
      timings: { send: 0, wait: Date.now() - started.getTime(), receive: 0 },
      ...(lost && { comment: 'answer lost: the proxy held it until the client gave up, as the network did in the incident' }),
    } as HarEntry);
    if (lost) {
      // Held until the client gives up (its 2 s timeout), then dropped: the answer never reaches it.
      await new Promise((resolve) => res.once('close', resolve));
      return;
    }
    res.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type'] ?? 'application/json') });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, entries, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function runClient(stripeUrl: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture('stripe-sdk', 'create-intent.mjs'), '--mode', 'naive-retry', '--amount', '100', '--order', '7'], {
      env: { ...process.env, STRIPE_URL: stripeUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout }));
  });
}

function createsIn(entries: HarEntry[]) {
  return entries
    .filter((entry) => entry.request.method === 'POST')
    .map((entry) => ({ path: new URL(entry.request.url).pathname, status: entry.response.status, id: (JSON.parse(entry.response.content.text) as { id: string }).id, lost: Boolean(entry.comment) }));
}

async function replay(scenario: string, har = HAR, fault = 'timeout-after-commit'): Promise<{ code: number; text: string }> {
  const reports = mkdtempSync(path.join(os.tmpdir(), 'retryproof-har-'));
  cleanups.push(() => rmSync(reports, { recursive: true, force: true }));
  let text = '';
  const out = { write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WritableStream;
  const code = await replayCommand(undefined, { scenario: fixture('har', scenario), har, fault, reports, quiet: true }, out);
  return { code, text };
}

describeEndToEnd('an incident from its HAR (the stripe SDK, a recording proxy, replay --har)', () => {
  it('the SDK\'s traffic through the recording proxy: the lost answer, then a second intent', async () => {
    const stripe = await UpstreamHarness.start(
      resourceModel({ path: '/v1/payment_intents', style: 'stripe', honoursIdempotencyKey: true, clientRefField: 'ref', noun: 'payment', ignoreFields: [] }),
      { name: 'stripe' },
    );
    cleanups.push(() => stripe.close());
    stripe.begin();
    const proxy = await recordingProxy(stripe.url);
    cleanups.push(() => proxy.close());

    const client = await runClient(proxy.url);
    expect(client.code).toBe(0);
    const recorded = createsIn(proxy.entries);
    if (process.env.RETRYPROOF_RECORD_HAR === '1') {
      writeFileSync(HAR, `${JSON.stringify({ log: { version: '1.2', creator: { name: 'retryproof recording proxy (test/upstream/har-incident.test.ts)', version: '1' }, entries: proxy.entries } }, null, 2)}\n`);
    }
    expect(recorded).toEqual([
      { path: '/v1/payment_intents', status: 200, id: 'pi_1', lost: true },
      { path: '/v1/payment_intents', status: 200, id: 'pi_2', lost: false },
    ]);
    // The committed recording is this test's: the same exchanges (its port aside).
    expect(createsIn((JSON.parse(readFileSync(HAR, 'utf8')) as { log: { entries: HarEntry[] } }).log.entries)).toEqual(recorded);
  }, 60_000);

  it('replay --har with timeout-after-commit on the first recorded create reproduces the duplicate (exit 1)', async () => {
    const { code, text } = await replay('incident.yaml');
    expect(text).toMatch(/replayed har\/incident: POST \/v1\/payment_intents request 1 to stripe: timeout after commit/);
    expect(text).toMatch(/2 payments committed on stripe POST \/v1\/payment_intents \(clean run: 1\)/);
    expect(code).toBe(1);
  }, 60_000);

  it('the fix (the SDK\'s own retries, one key) replays green (exit 0)', async () => {
    const { code, text } = await replay('incident-fixed.yaml');
    expect(text).toMatch(/1 payment committed on stripe POST \/v1\/payment_intents \(clean run: 1\); ended in success/);
    expect(code).toBe(0);
  }, 60_000);

  it('a broken HAR is refused naming the entry and field (exit 2)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-har-bad-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const broken = path.join(dir, 'broken.har');
    writeFileSync(broken, JSON.stringify({ log: { entries: [{ request: { method: 'POST', url: 'not a url' }, response: { status: 200 } }] } }));
    const error = await replay('incident.yaml', broken).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryproofError);
    expect((error as RetryproofError).where.field).toBe('upstreams.stripe.file');
    expect((error as RetryproofError).message).toMatch(/broken at log\.entries\[0\]\.request\.url/);
  });

  it('a fault that does not exist, or --har for a scenario without a har upstream, is refused (exit 2)', async () => {
    const unknown = (await replay('incident.yaml', HAR, 'timeout-after-comit').catch((caught: unknown) => caught)) as RetryproofError;
    expect(unknown).toBeInstanceOf(RetryproofError);
    expect(unknown.where.field).toBe('--fault');
    const noHar = (await replay('../stripe-sdk/naive-retry.yaml').catch((caught: unknown) => caught)) as RetryproofError;
    expect(noHar).toBeInstanceOf(RetryproofError);
    expect(noHar.message).toMatch(/no upstream with model: har/);
  });
});
