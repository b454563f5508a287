import { RetryproofError } from '../errors.js';
import type { Scenario } from '../scenario/load.js';
import type { ProbeWhere, StateProbe, StateRow } from '../state/index.js';
import type { CaseRecorder } from './recorder.js';

/** What each probe read before the case's first invocation, by probe index. */
export type StateSnapshot = ReadonlyArray<readonly StateRow[]>;

/** Reads every probe; a probe that cannot be read is bad configuration (exit 2), named by its field. */
export async function readState(scenario: Scenario, probes: readonly StateProbe[], where: ProbeWhere): Promise<StateSnapshot> {
  return Promise.all(
    probes.map(async (probe, index) => {
      try {
        return await probe.read(where);
      } catch (error) {
        const field = `state[${index}]${probe.spec.kind === 'sqlite' ? '.query' : probe.spec.kind === 'http' ? '.path' : '.dir'}`;
        throw new RetryproofError(
          'SCENARIO_INVALID',
          `the state probe "${probe.name}" (${probe.spec.kind}) could not be read: ${(error as Error).message}`,
          { file: scenario.file, field },
          probe.spec.kind === 'sqlite' ? 'give a SELECT that runs on the file the target writes (table and column names as the target creates them)' : probe.spec.kind === 'http' ? 'give a path the API answers with a JSON list (and rows: where the list is)' : 'give a folder the harness can read',
          { cause: error },
        );
      }
    }),
  );
}

/**
 * Records as effects the rows each probe holds now and did not hold before the
 * case (a multiset difference: a second identical row is a second effect). A
 * state that outlives cases (an API with one database for the run) then
 * counts only what this case added. The effects belong to no request: the
 * target's own state is read once the case is over, not as it is written.
 */
export function recordStateEffects(recorder: CaseRecorder, probes: readonly StateProbe[], before: StateSnapshot, after: StateSnapshot): void {
  probes.forEach((probe, index) => {
    const earlier = new Map<string, number>();
    for (const row of before[index] ?? []) {
      const text = canonicalJson(row);
      earlier.set(text, (earlier.get(text) ?? 0) + 1);
    }
    for (const row of after[index] ?? []) {
      const text = canonicalJson(row);
      const left = earlier.get(text) ?? 0;
      if (left > 0) {
        earlier.set(text, left - 1);
        continue;
      }
      recorder.addEffect({ upstream: probe.source, route: probe.name, key: null, resourceId: null, requestId: 0, body: text });
    }
  });
}

/** JSON with object keys sorted: the same row reads the same whatever order its columns came in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
