import { describe, expect, it } from 'vitest';
import { startNoiseMeter } from '../../src/runner/scheduling-noise.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('startNoiseMeter (issue 13, class 8: a timing verdict follows the measured scheduling noise)', () => {
  it('reports how long the event loop was held up while it ran', async () => {
    const meter = startNoiseMeter();
    await sleep(30);
    const until = performance.now() + 150;
    while (performance.now() < until) {
      // the loop is busy: every timer runs late
    }
    await sleep(30);
    const noise = meter.stop();
    expect(noise).toBeGreaterThanOrEqual(100);
    expect(noise).toBeLessThan(5_000);
  });

  it('reports a whole number of milliseconds, never below zero', async () => {
    const meter = startNoiseMeter();
    await sleep(20);
    const noise = meter.stop();
    expect(Number.isInteger(noise)).toBe(true);
    expect(noise).toBeGreaterThanOrEqual(0);
  });
});
