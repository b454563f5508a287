/**
 * The loopback server: 127.0.0.1 only, and nothing left listening after close(),
 * also when a connection was held or kept alive.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { charges, TempLedger, tryConnect, UpstreamHarness } from '../helpers/upstream.js';

const harnesses: UpstreamHarness[] = [];
const ledgers: TempLedger[] = [];

async function start(options: Parameters<typeof UpstreamHarness.start>[1] = {}): Promise<UpstreamHarness> {
  const harness = await UpstreamHarness.start(charges(), options);
  harnesses.push(harness);
  return harness;
}

afterEach(async () => {
  try {
    // close() must be safe to call again after a test closed the server itself.
    await Promise.all(harnesses.splice(0).map((harness) => harness.close().catch(() => undefined)));
  } finally {
    for (const ledger of ledgers.splice(0)) ledger.close();
  }
});

/** The local addresses of this host other than loopback (IPv4), to try the port on. */
function externalIPv4(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((info) => info && info.family === 'IPv4' && !info.internal)
    .map((info) => info!.address);
}

/** Linux: the local addresses of sockets listening on this TCP port, from /proc/net/tcp{,6}. */
function listeningAddresses(port: number): string[] {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4) continue;
      const [address, portHex] = fields[1]!.split(':');
      if (parseInt(portHex!, 16) === port && fields[3] === '0A') found.push(address!);
    }
  }
  return found;
}

describe('listening address', () => {
  it('serves on 127.0.0.1 and nowhere else', async () => {
    const harness = await start();
    const url = new URL(harness.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBe(harness.server.port);
    expect(harness.server.port).toBeGreaterThan(0);
    expect(await tryConnect(harness.server.port, '127.0.0.1')).toBe('connected');

    for (const address of externalIPv4()) {
      expect(await tryConnect(harness.server.port, address), `port reachable on ${address}`).not.toBe('connected');
    }
    expect(await tryConnect(harness.server.port, '::1')).not.toBe('connected');
    if (process.platform === 'linux') {
      // 127.0.0.0/8 is all loopback on Linux: a server bound to 0.0.0.0 would answer on 127.0.0.2.
      expect(await tryConnect(harness.server.port, '127.0.0.2')).toBe('ECONNREFUSED');
      // The kernel's own view: exactly one listener on the port, bound to 127.0.0.1 (0100007F).
      expect(listeningAddresses(harness.server.port)).toEqual(['0100007F']);
    }
  });
});

describe('close()', () => {
  it('the port refuses connections afterwards', async () => {
    const harness = await start();
    harness.begin();
    expect((await harness.post('/charges', { amount: 1 })).status).toBe(201);
    await harness.server.close();
    expect(await tryConnect(harness.server.port)).toBe('ECONNREFUSED');
  });

  it('does not wait for an idle keep-alive connection', async () => {
    const harness = await start();
    harness.begin();
    // undici keeps the connection open after this answer.
    expect((await harness.post('/charges', { amount: 1 })).status).toBe(201);
    const begun = performance.now();
    await harness.server.close();
    expect(performance.now() - begun).toBeLessThan(2_000);
    expect(await tryConnect(harness.server.port)).toBe('ECONNREFUSED');
  });

  it.each(['timeout-before-commit', 'timeout-after-commit'])(
    'releases a held connection (%s) at once, and then the port refuses connections',
    async (fault) => {
      const holdLimitMs = 20_000;
      const harness = await start({ holdLimitMs });
      const ledger = new TempLedger();
      ledgers.push(ledger);
      const started = harness.begin([harness.fault(fault)]);
      // A client that would wait far longer than the test.
      const pending = harness.post('/charges', { amount: 1 }, { timeoutMs: 15_000 });
      // Wait until the server has the request (and, a moment later, is holding it).
      const deadline = performance.now() + 5_000;
      while (started.recorder.requests.length === 0 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(started.recorder.requests).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 50));

      const begun = performance.now();
      await harness.server.close();
      const closeMs = performance.now() - begun;
      const result = await pending;

      expect(closeMs).toBeLessThan(5_000);
      // The client was let go with an error, not its own timeout, long before the hold limit.
      expect(result.status).toBeNull();
      expect(result.error).not.toBeNull();
      expect(result.error?.name).not.toBe('TimeoutError');
      expect(result.ms).toBeLessThan(holdLimitMs / 2);
      expect(await tryConnect(harness.server.port)).toBe('ECONNREFUSED');

      const rows = await ledger.store(harness, started);
      expect(rows.requests[0]).toMatchObject({ delivery: 'held', clientStatus: null });
      expect(rows.requests[0]!.endedMs).not.toBeNull();
    },
  );
});

describe('request bodies', () => {
  it('refuses a body over maxBodyBytes with 413, and the upstream does nothing', async () => {
    const harness = await start({ maxBodyBytes: 64 });
    harness.begin();
    const big = await harness.post('/charges', { amount: 1, pad: 'x'.repeat(200) });
    expect(big.status).toBe(413);
    const small = await harness.post('/charges', { amount: 2 });
    expect(small.status).toBe(201);
    expect(small.json).toMatchObject({ id: 'cha_1' });
    const all = await harness.get('/charges');
    expect((all.json as { data: unknown[] }).data).toHaveLength(1);
  });
});

describe('doors: a port of its own per invocation', () => {
  const post = async (base: string): Promise<number> => {
    const response = await fetch(`${base}/charges`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"amount":1}' });
    await response.arrayBuffer();
    return response.status;
  };

  it('attributes what comes in on a door to its invocation while two run, and what comes in on the main port to none', async () => {
    const harness = await start();
    const { recorder } = harness.begin();
    recorder.live.add(1).add(2);
    const [one, two] = [await harness.server.door(1), await harness.server.door(2)];
    expect(new URL(one.url).hostname).toBe('127.0.0.1');
    expect(one.url).not.toBe(two.url);
    expect([await post(two.url), await post(one.url), await post(harness.url)]).toEqual([201, 201, 201]);
    expect(recorder.requests.map((row) => row.invocationId)).toEqual([2, 1, null]);
    // One upstream behind every door: the three requests made three charges on the same model.
    expect(recorder.requests.map((row) => row.ordinal)).toEqual([1, 2, 3]);
  });

  it('falls back to the only live invocation for a straggler on a door whose invocation is over', async () => {
    const harness = await start();
    const { recorder } = harness.begin();
    const door = await harness.server.door(1);
    recorder.live.add(2);
    expect(await post(door.url)).toBe(201);
    expect(recorder.requests[0]!.invocationId).toBe(2);
  });

  it('reuses a released door, listens on 127.0.0.1 only, and closes with the server', async () => {
    const harness = await start();
    harness.begin();
    const first = await harness.server.door(1);
    first.release();
    const again = await harness.server.door(2);
    expect(again.url).toBe(first.url);
    const port = Number(new URL(again.url).port);
    if (process.platform === 'linux') expect(listeningAddresses(port)).toEqual(['0100007F']);
    expect(await post(again.url)).toBe(201);
    await harness.server.close();
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
  });
});
