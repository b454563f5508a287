import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-command-line-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh copy of the module: cliInvocation remembers what it found on PATH. */
async function fresh(PATH: string) {
  const saved = process.env.PATH;
  process.env.PATH = PATH;
  try {
    vi.resetModules();
    const module = await import('../../src/report/command-line.js');
    return { cli: module.cliInvocation() as string, module };
  } finally {
    process.env.PATH = saved;
  }
}

describe('commands the reports print (issue 14)', () => {
  it('say `retryproof` when it is on PATH, else `npx retryproof`', async () => {
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'retryproof'), '#!/bin/sh\n');
    chmodSync(path.join(bin, 'retryproof'), 0o755);
    expect((await fresh(bin)).cli).toBe('retryproof');
    expect((await fresh(path.join(dir, 'nowhere'))).cli).toBe('npx retryproof');
  });

  it('give paths below the working directory relative to it, others absolute', async () => {
    const { displayPath } = await import('../../src/report/command-line.js');
    expect(displayPath(path.join(process.cwd(), 'reports', 'orders', 'run-1'))).toBe(path.join('reports', 'orders', 'run-1'));
    expect(displayPath('/elsewhere/reports')).toBe('/elsewhere/reports');
    expect(displayPath('reports/x')).toBe(path.join('reports', 'x'));
  });

  it('quote what the shell would read otherwise', async () => {
    const { replayCommand, cliInvocation } = await import('../../src/report/command-line.js');
    expect(replayCommand(path.join(process.cwd(), 'reports', 'a run'), 'create-order/none')).toBe(`${cliInvocation()} replay 'reports/a run/report.json' --case create-order/none`);
  });
});
