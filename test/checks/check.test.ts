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
});
