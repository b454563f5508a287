import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { RetryproofError } from '../errors.js';
import { FAULT_NAMES } from '../faults/registry.js';
import { fieldPath, type Scenario } from '../scenario/load.js';
import type { Schedule } from '../core/schedule.js';

/** A hand-written schedule, e.g. an incident: "timeout after the charge committed, then a retry with a new key". */
export const scheduleSchema = z
  .object({
    operation: z.string().describe('The operation of the scenario this schedule runs.'),
    faults: z
      .array(
        z
          .object({
            upstream: z.string(),
            ordinal: z.number().int().min(1).describe('The n-th request of the case to this upstream (or route).'),
            andAfter: z.boolean().optional().describe('Also every later request.'),
            route: z.string().regex(/^[A-Z]+ \//, 'METHOD /path, e.g. "POST /charges"').optional(),
            fault: z.enum(FAULT_NAMES),
            params: z.record(z.string(), z.number().nullable()).optional(),
          })
          .strict(),
      )
      .default([]),
    caller: z
      .object({
        retries: z.number().int().min(0).max(20).default(0),
        key: z.enum(['same', 'fresh']).default('same'),
        replay: z.boolean().default(false),
        delayMs: z.number().int().min(0).default(0),
        concurrent: z.number().int().min(2).max(8).optional(),
        mismatch: z.boolean().optional(),
        dryRun: z.boolean().optional(),
        omitKey: z.boolean().optional(),
        abandonFirstAfterMs: z.number().int().positive().optional(),
      })
      .strict()
      .default({ retries: 0, key: 'same', replay: false, delayMs: 0 }),
  })
  .strict();

/** Reads and validates a schedule file against its scenario (operation and upstreams must exist). */
export function loadScheduleFile(file: string, scenario: Scenario): Schedule {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RetryproofError('SCENARIO_SYNTAX', `cannot read the schedule: ${(error as Error).message.split('\n')[0]}`, { file }, 'give a YAML or JSON schedule file');
  }
  const parsed = scheduleSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const segments = issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : issue.path;
    throw new RetryproofError('SCENARIO_INVALID', issue.message, { file, field: fieldPath(segments) }, 'see the README section "Replaying an incident" for the schedule format');
  }
  const schedule = parsed.data as Schedule;
  return validateSchedule(schedule, scenario, file);
}

/** A schedule must name things the scenario has. */
export function validateSchedule(schedule: Schedule, scenario: Scenario, file: string): Schedule {
  const operations = scenario.operations.map((operation) => operation.name);
  if (!operations.includes(schedule.operation)) {
    throw new RetryproofError('SCENARIO_INVALID', `unknown operation "${schedule.operation}"; the scenario has: ${operations.join(', ')}`, { file, field: 'operation' }, 'name an operation of the scenario');
  }
  const upstreams = Object.keys(scenario.upstreams);
  schedule.faults.forEach((binding, index) => {
    if (!upstreams.includes(binding.upstream)) {
      throw new RetryproofError('SCENARIO_INVALID', `unknown upstream "${binding.upstream}"; the scenario has: ${upstreams.join(', ')}`, { file, field: `faults[${index}].upstream` }, 'name an upstream of the scenario');
    }
    // A built-in model serves only its own path: a fault bound to another route would silently never apply.
    const spec = scenario.upstreams[binding.upstream]!;
    const routePath = binding.route?.split(' ')[1];
    const served = spec.model === 'routes' ? spec.routes.map((route) => route.path) : 'path' in spec ? [spec.path] : [];
    if (routePath !== undefined && served.length > 0 && !served.some((path) => routePath.startsWith(path))) {
      const paths = served.join(', ');
      throw new RetryproofError('SCENARIO_INVALID', `${binding.upstream} serves ${paths}, not ${routePath}: this fault would never apply`, { file, field: `faults[${index}].route` }, `bind the fault to a route under ${served.length === 1 ? paths : `one of ${paths}`}, or leave route out`);
    }
  });
  return schedule;
}
