import path from 'node:path';
import { RetryproofError } from '../errors.js';
import { FAULT_NAMES } from '../faults/registry.js';
import type { Scenario } from '../scenario/load.js';
import type { Schedule } from '../core/schedule.js';
import { readHarFile } from '../upstream/models/har-file.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The scenario with its `model: har` upstreams answering from `harFile`
 * (`replay --har`): the same scenario turns any incident's recording into a
 * case. Throws BAD_ARGUMENT (exit 2) when the scenario has no har upstream.
 */
export function withHarFile(scenario: Scenario, harFile: string): Scenario {
  const file = path.resolve(harFile);
  const names = Object.entries(scenario.upstreams).filter(([, spec]) => spec.model === 'har').map(([name]) => name);
  if (names.length === 0) {
    throw new RetryproofError(
      'BAD_ARGUMENT',
      `--har gives a recording, but the scenario has no upstream with model: har (its upstreams: ${Object.keys(scenario.upstreams).join(', ')})`,
      { file: scenario.file, field: 'upstreams' },
      'declare the upstream the recording answers for as {model: har, file: incident.har}, or leave out --har',
    );
  }
  const upstreams = Object.fromEntries(Object.entries(scenario.upstreams).map(([name, spec]) => [name, spec.model === 'har' ? { ...spec, file } : spec]));
  return { ...scenario, upstreams };
}

/**
 * The incident a HAR recording tells, as a schedule: `fault` (the one the user
 * suspects, default timeout-after-commit) on the first mutating exchange the
 * recording holds (the request that was answered but whose answer, the user
 * suspects, was lost), for the scenario's first operation, the caller not
 * retrying: the target's own retries are what the recording shows.
 */
export function harIncidentSchedule(scenario: Scenario, fault = 'timeout-after-commit'): Schedule {
  if (!FAULT_NAMES.includes(fault)) {
    throw new RetryproofError('BAD_ARGUMENT', `unknown fault "${fault}"`, { field: '--fault' }, `name one of: ${FAULT_NAMES.join(', ')}`);
  }
  for (const [name, spec] of Object.entries(scenario.upstreams)) {
    if (spec.model !== 'har') continue;
    const field = `upstreams.${name}.file`;
    const exchanges = readHarFile(path.resolve(scenario.dir, spec.file), { file: scenario.file, field });
    const origin = spec.origin ? new URL(spec.origin).origin : undefined;
    const first = exchanges.find((exchange) => MUTATING.has(exchange.method) && (!origin || exchange.url.origin === origin));
    if (!first) continue;
    return {
      operation: scenario.operations[0]!.name,
      faults: [{ upstream: name, ordinal: 1, route: `${first.method} ${first.url.pathname}`, fault }],
      caller: { retries: 0, key: 'same', replay: false, delayMs: 0 },
    };
  }
  throw new RetryproofError(
    'BAD_ARGUMENT',
    'the recording holds no mutating request (POST, PUT, PATCH or DELETE) to fault',
    { field: '--har' },
    'record the traffic of the incident itself (the request that was done twice), or give --schedule FILE to place the fault by hand',
  );
}
