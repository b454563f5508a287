/**
 * The ledger writes a case's rows as given and reads them back the same:
 * every field of every row kind, nulls, booleans and JSON fields included.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.js';
import type { CaseRows, EffectRow, InvocationRow, RequestRow } from '../../src/ledger/rows.js';

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-ledger-test-'));
  dirs.push(dir);
  return path.join(dir, 'ledger.sqlite');
}

const invocation = (id: number, extra: Partial<InvocationRow> = {}): InvocationRow => ({
  caseId: 'c/1', id, seq: id, role: 'attempt', key: 'k-1', argv: ['node', 'tool.mjs', '--key', 'k-1'], exitCode: id === 1 ? null : 0,
  signal: id === 1 ? 'SIGKILL' : null, killed: id === 1, killReason: id === 1 ? 'timeout' : null, effect: id === 1 ? null : 'created',
  stdoutJson: id === 1 ? null : { effect: 'created', ids: [1, 2] }, stdout: 'out', stderr: 'err', outputTruncated: id === 1,
  startedMs: 10 * id, durationMs: 5, targetKind: 'http', httpStatus: id === 1 ? null : 201, responseHeaders: id === 1 ? null : { 'content-type': 'application/json' },
  error: id === 1 ? 'timeout' : null, request: id === 1 ? undefined : { method: 'POST', body: { amount: 1 } },
  ...extra,
});

const request = (id: number): RequestRow => ({
  caseId: 'c/1', id, invocationId: id === 1 ? null : 2, upstream: 'payments', ordinal: id, method: 'POST', path: '/charges?x=é',
  route: 'POST /charges', idempotencyKey: id === 1 ? null : 'k-1', body: '{"amount":1}', bodyFingerprint: 'payments POST /charges 0123',
  fault: id === 1 ? 'timeout-after-commit' : 'none', committed: id !== 3, outcome: id === 3 ? 'replayed' : 'committed',
  delivery: id === 1 ? 'held' : 'response', upstreamStatus: 201, clientStatus: id === 1 ? null : 201, startedMs: id, endedMs: id === 3 ? null : id + 1,
});

const effect = (id: number): EffectRow => ({
  caseId: 'c/1', id, operation: 'create-order', upstream: 'payments', route: 'POST /charges', key: id === 1 ? null : 'k-1',
  resourceId: id === 1 ? null : `cha_${id}`, requestId: id, body: '{"amount":1}', fingerprint: 'payments POST /charges 0123',
});

describe('Ledger', () => {
  it('recordCase stores the rows as given; evaluate and readCase see them the same; checks are stored', () => {
    const file = tempFile();
    const ledger = new Ledger(file);
    // An invocation written before http and module targets existed: no target kind, http fields or request.
    const older = invocation(3, { targetKind: undefined, httpStatus: undefined, responseHeaders: undefined, error: undefined, request: undefined });
    const rows: CaseRows = { invocations: [invocation(1), invocation(2), older], requests: [1, 2, 3].map(request), effects: [1, 2].map(effect) };
    let judged: CaseRows | undefined;
    const results = ledger.recordCase({ id: 'c/1', operation: 'create-order', kind: 'explore', scheduleJson: '{"faults":[]}' }, rows, (stored) => {
      judged = stored;
      return [{ check: 'no-duplicate-effects', status: 'pass', message: 'one effect', evidence: { effects: [2] } }];
    });
    ledger.close();

    const expected: CaseRows = { ...rows, invocations: [invocation(1), invocation(2), { ...older, targetKind: 'command', httpStatus: null, responseHeaders: null, error: null }] };
    expect(judged).toEqual(expected);
    expect(results).toHaveLength(1);
    const reader = new Ledger(file, { readonly: true });
    try {
      expect(reader.readCase('c/1')).toEqual(expected);
      expect(reader.readChecks('c/1')).toEqual([{ caseId: 'c/1', check: 'no-duplicate-effects', status: 'pass', message: 'one effect', evidenceJson: '{"effects":[2]}' }]);
      expect(reader.readCase('c/none')).toEqual({ invocations: [], requests: [], effects: [] });
    } finally {
      reader.close();
    }
  });
});
