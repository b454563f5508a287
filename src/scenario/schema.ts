import { z } from 'zod';
import { FAULT_NAMES } from '../faults/registry.js';
import { CHECK_NAMES } from '../checks/names.js';

/**
 * The scenario file format. Every field has a description: `retryproof schema`
 * prints them, and the README explains the same fields.
 */

const exitCode = z.number().int().min(0).max(255);
const exitCodes = z
  .union([exitCode, z.array(exitCode).min(1)])
  .transform((value) => (Array.isArray(value) ? value : [value]));

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a name of letters, digits, "-", "_" or "." (no spaces)');

const envMap = z.record(z.string(), z.string()).describe('Environment variables; values may use templates.');

const resourceUpstream = z
  .object({
    model: z.literal('resource').describe('POST creates a record; GET ?ref= looks records up by client reference.'),
    path: z.string().startsWith('/').default('/resources').describe('Collection path, e.g. /charges.'),
    honoursIdempotencyKey: z
      .boolean()
      .default(false)
      .describe('Whether a repeated Idempotency-Key is answered from the stored response without a new commit.'),
    clientRefField: z
      .string()
      .default('ref')
      .describe('Body field that a careful client sets to look its records up after a crash (GET path?ref=...).'),
    noun: z.string().default('record').describe('What one effect is called in reports ("charge").'),
    ignoreFields: z
      .array(z.string())
      .default([])
      .describe('Body fields left out of effect fingerprints (besides ids, timestamps and keys).'),
  })
  .strict();

const mailerUpstream = z
  .object({
    model: z.literal('mailer').describe('Every POST sends a message: never deduplicates, offers no look-up.'),
    path: z.string().startsWith('/').default('/messages').describe('Path that sends, e.g. /messages.'),
    noun: z.string().default('email').describe('What one effect is called in reports.'),
    ignoreFields: z.array(z.string()).default([]).describe('Body fields left out of effect fingerprints.'),
  })
  .strict();

export const upstreamSchema = z.discriminatedUnion('model', [resourceUpstream, mailerUpstream]);

const commandTarget = z
  .object({
    kind: z.literal('command').describe('Any executable, run from an argv array, never through a shell.'),
    argv: z
      .array(z.string())
      .min(1)
      .describe('Program and leading arguments, e.g. [python3, tools/orders.py]. Each operation appends its args.'),
    cwd: z.string().optional().describe("Working directory, relative to the scenario file's folder (default: that folder)."),
    env: envMap.default({}),
    timeoutMs: z.number().int().positive().default(10_000).describe('Kill the process group after this long.'),
    killGraceMs: z
      .number()
      .int()
      .nonnegative()
      .default(500)
      .describe('After the timeout, time between SIGTERM and SIGKILL.'),
    maxOutputBytes: z
      .number()
      .int()
      .positive()
      .default(1_048_576)
      .describe('Bytes of stdout and of stderr kept per invocation; the rest is counted and dropped.'),
  })
  .strict();

export const targetSchema = z.discriminatedUnion('kind', [commandTarget]);

const operation = z
  .object({
    name: name.describe('Unique operation name, e.g. create-order.'),
    args: z.array(z.string()).default([]).describe('Arguments appended to target.argv; templates allowed.'),
    env: envMap.optional(),
    input: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .default({})
      .describe('Values for {{input.NAME}} templates.'),
    mutating: z.boolean().default(true).describe('Whether the operation changes anything (only these are faulted).'),
  })
  .strict();

const caller = z
  .object({
    retries: z.number().int().min(0).max(20).default(2).describe('Retries after a failed invocation.'),
    key: z
      .enum(['same', 'fresh'])
      .default('same')
      .describe('Whether a retry reuses the idempotency key ("same") or makes a new one ("fresh").'),
    replay: z.boolean().default(true).describe('After a success, run the operation once more with the same key.'),
    delayMs: z.number().int().min(0).max(60_000).default(0).describe('Pause before each retry.'),
  })
  .strict();

const expect = z
  .object({
    fail: z
      .array(z.enum(CHECK_NAMES))
      .default([])
      .describe('Checks this scenario is known to fail. The run passes when exactly these fail.'),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: name.optional().describe('Scenario name (default: the file name without extension). Names the report folder.'),
    description: z.string().optional(),
    target: targetSchema,
    upstreams: z
      .record(name, upstreamSchema)
      .refine((value) => Object.keys(value).length > 0, 'at least one upstream')
      .describe('Mock upstream services by name; {{upstreams.NAME.url}} is each one\'s base URL.'),
    operations: z.array(operation).min(1).describe('What the caller asks the target to do, each once.'),
    caller: caller.default({ retries: 2, key: 'same', replay: true, delayMs: 0 }),
    faults: z
      .array(z.enum(FAULT_NAMES))
      .min(1)
      .optional()
      .describe('Faults of the systematic pass (default: the whole catalog).'),
    depth: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(2)
      .describe('The systematic pass faults each upstream request position from 1 to this.'),
    holdLimitMs: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('A held connection is dropped after this long even if the client never gives up.'),
    checks: z.array(z.enum(CHECK_NAMES)).min(1).optional().describe('Checks to run (default: all).'),
    exitCodes: z
      .object({
        success: exitCodes.default([0]).describe('Exit codes of success, including noop.'),
        failure: exitCodes.default([1]).describe('Exit codes the target may use for failure.'),
      })
      .strict()
      .default({ success: [0], failure: [1] }),
    expect: expect.default({ fail: [] }),
  })
  .strict();

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioFile = z.output<typeof scenarioSchema>;
export type UpstreamSpec = z.output<typeof upstreamSchema>;
export type TargetSpec = z.output<typeof targetSchema>;
export type OperationSpec = ScenarioFile['operations'][number];
export type CallerSpec = ScenarioFile['caller'];

/** The JSON Schema of scenario files, as `retryproof schema` prints it. */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: 'input', target: 'draft-2020-12' });
}
