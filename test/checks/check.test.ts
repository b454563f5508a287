import { describe, expect, it } from 'vitest';
import { describeFaultOutcome } from '../../src/checks/check.js';
import { request } from './rows.js';

describe('describeFaultOutcome (what a fault of the schedule did to one request)', () => {
  it('says that a crash "after commit" on a request the upstream refused committed nothing (issue 13, class 6)', () => {
    const refused = request(2, 2, { fault: 'crash-after-commit', committed: false, outcome: 'rejected', upstreamStatus: 422, clientStatus: null, delivery: 'crashed' });
    expect(describeFaultOutcome(refused)).toBe('crash-after-commit on request 2: payments refused it (422), nothing committed; the target was killed before the answer reached it');
  });

  it('says what the upstream did and what reached the client, for the other faults', () => {
    expect(describeFaultOutcome(request(1, 1, { fault: 'crash-after-commit', clientStatus: null, delivery: 'crashed' }))).toBe(
      'crash-after-commit on request 1: payments committed it (201); the target was killed before the answer reached it',
    );
    const notRun = { committed: false, outcome: 'not-run' as const, upstreamStatus: null };
    expect(describeFaultOutcome(request(1, 1, { ...notRun, fault: 'crash-before-commit', clientStatus: null, delivery: 'crashed' }))).toBe(
      'crash-before-commit on request 1: payments did not run it, nothing committed; the target was killed as the request arrived',
    );
    expect(describeFaultOutcome(request(3, 1, { ...notRun, fault: '503-before-commit', clientStatus: 503 }))).toBe(
      '503-before-commit on request 3: payments did not run it, nothing committed; the client got 503',
    );
    expect(describeFaultOutcome(request(1, 1, { fault: 'timeout-after-commit', clientStatus: null, delivery: 'held' }))).toBe(
      'timeout-after-commit on request 1: payments committed it (201); the answer was held until the client gave up',
    );
    expect(describeFaultOutcome(request(2, 2, { fault: 'reset-after-commit', committed: false, outcome: 'replayed', upstreamStatus: 201, clientStatus: null, delivery: 'reset' }))).toBe(
      'reset-after-commit on request 2: payments answered it from its key store (201), nothing committed; the connection was reset before any answer',
    );
  });

  it('says what the upstream did for every other outcome, with its status when it gave one', () => {
    const put = { method: 'PUT', path: '/charges/cha_1', route: 'PUT /charges/:id', committed: false };
    expect(describeFaultOutcome(request(2, 2, { ...put, fault: '503-after-commit', outcome: 'unchanged', upstreamStatus: 200, clientStatus: 503 }))).toBe(
      '503-after-commit on request 2: payments was already in the state it asked for (200), nothing changed; the client got 503',
    );
    const get = { method: 'GET', path: '/charges?ref=k', route: 'GET /charges', committed: false, outcome: 'read' as const, upstreamStatus: 200 };
    expect(describeFaultOutcome(request(1, 1, { ...get, fault: 'reset-after-commit', clientStatus: null, delivery: 'reset' }))).toBe(
      'reset-after-commit on request 1: payments answered it (200); the connection was reset before any answer',
    );
    expect(describeFaultOutcome(request(1, 1, { fault: '500-after-commit', path: '/refunds', route: 'POST /refunds', committed: false, outcome: 'unmatched', upstreamStatus: 404, clientStatus: 500 }))).toBe(
      '500-after-commit on request 1: payments has no route for it (404), nothing committed; the client got 500',
    );
  });

  it('says a handler recorded nothing, with no status for a database COMMIT, which has none', () => {
    expect(describeFaultOutcome(request(1, 1, { fault: 'truncate-after-commit', committed: false, outcome: 'recorded-nothing', upstreamStatus: 202, clientStatus: 202, delivery: 'truncated' }))).toBe(
      'truncate-after-commit on request 1: payments handled it (202) and recorded no effect; the answer (202) was cut off',
    );
    // A postgres service's COMMIT, as run-case.ts records it.
    const sqlCommit = { upstream: 'db', method: 'SQL', path: 'COMMIT', route: 'SQL COMMIT', idempotencyKey: null, body: '', bodyFingerprint: '', committed: true };
    const commit = request(3, 1, { ...sqlCommit, fault: 'reset-after-commit', outcome: 'recorded-nothing', delivery: 'reset', upstreamStatus: null, clientStatus: null });
    expect(describeFaultOutcome(commit)).toBe('reset-after-commit on request 3: db handled it and recorded no effect; the connection was reset before any answer');
  });

  it('says the client gave up when a late answer was never sent', () => {
    expect(describeFaultOutcome(request(1, 1, { fault: 'slow', clientStatus: null, delivery: 'abandoned' }))).toBe(
      'slow on request 1: payments committed it (201); the client gave up before the answer',
    );
  });

  it('says no answer reached the client when none was recorded (still in flight when the upstreams closed), not that one did', () => {
    expect(describeFaultOutcome(request(1, 1, { fault: 'slow', clientStatus: null, delivery: 'response' }))).toBe(
      'slow on request 1: payments committed it (201); no answer reached the client',
    );
  });
});
