import type { CheckName } from '../../src/core/check-names.js';
import type { ScenarioResult } from '../../src/core/result.js';
import { fixture, runScenarioFile } from '../helpers/scenario.js';

/** The BUG values of test/fixtures/check-targets/careful-tool.mjs ('' = no bug). */
export type CarefulBug =
  | ''
  | 'ignore-key'
  | 'no-pending-mark'
  | 'success-without-commit'
  | 'replay-says-created'
  | 'none-exit-0'
  | 'undeclared-exit'
  | 'created-exit-1'
  | 'plain-text-errors'
  | 'no-effect-field'
  | 'bad-effect';

export interface CarefulRun {
  bug?: CarefulBug;
  faults: string[];
  name?: string;
  caller?: { retries?: number; key?: 'same' | 'fresh'; replay?: boolean };
  exitCodes?: { success: number | number[]; failure: number | number[] };
  /**
   * The tool's own per-request timeout. Only a timeout fault waits for it (the
   * upstream holds until the tool gives up), so runs with such a fault pass a
   * short one; elsewhere it is never reached, and a margin keeps a slow machine
   * from turning a healthy answer into a timeout.
   */
  requestTimeoutMs?: number;
}

/**
 * A scenario around careful-tool.mjs: one `create-order` operation against a
 * payments `resource` upstream that does not deduplicate, a short fault list at
 * depth 1 and short timeouts, so that a run takes about a second.
 */
export function carefulScenario({ bug = '', faults, name, caller, exitCodes, requestTimeoutMs = 2000 }: CarefulRun): Record<string, unknown> {
  return {
    name: name ?? `careful-${bug || 'twin'}`,
    target: {
      kind: 'command',
      argv: [process.execPath, fixture('check-targets', 'careful-tool.mjs')],
      env: {
        RESOURCE_URL: '{{upstreams.payments.url}}',
        STATE_DIR: '{{case.dir}}/state',
        REQUEST_TIMEOUT_MS: String(requestTimeoutMs),
        BUG: bug,
      },
      timeoutMs: 10_000,
      killGraceMs: 100,
    },
    upstreams: {
      payments: { model: 'resource', path: '/charges', honoursIdempotencyKey: false, noun: 'charge' },
    },
    operations: [
      { name: 'create-order', args: ['create', '--amount', '{{input.amount}}', '--key', '{{key}}'], input: { amount: 100 } },
    ],
    caller: { retries: 2, key: 'same', replay: true, ...caller },
    faults,
    depth: 1,
    holdLimitMs: 5000,
    // The fixed probes have checks of their own; these runs are about the five checks above.
    probes: { mismatch: false, concurrent: false, dryRun: false, missingKey: false, persistent: false },
    exitCodes: exitCodes ?? { success: 0, failure: 1 },
  };
}

export async function runCareful(run: CarefulRun): Promise<ScenarioResult> {
  const { result } = await runScenarioFile(carefulScenario(run));
  return result;
}

/** The failing results of one check over all cases, for assertions on messages. */
export function failuresOf(result: ScenarioResult, check: CheckName) {
  return result.cases.flatMap((item) =>
    item.checks.filter((entry) => entry.check === check && entry.status === 'fail').map((entry) => ({ caseId: item.id, ...entry })),
  );
}
