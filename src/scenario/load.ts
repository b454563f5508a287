import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { RetryproofError } from '../errors.js';
import { FAULT_NAMES } from '../faults/registry.js';
import { CHECK_NAMES, expandCheckNames, type CheckName } from '../core/check-names.js';
import { scenarioSchema, type ScenarioFile } from './schema.js';
import { templateReferences, unresolvedReason } from './template.js';
import { pathsOverlap } from '../upstream/route-traits.js';
import { STATE_SOURCES } from '../state/probe.js';

/** A validated scenario with its defaults filled in and its paths resolved. */
export interface Scenario extends Omit<ScenarioFile, 'faults' | 'checks' | 'name'> {
  name: string;
  /** The file as the user named it. */
  file: string;
  /** Absolute folder of the file: relative paths in the scenario start here. */
  dir: string;
  /** Absolute working directory of the target. */
  cwd: string;
  faults: string[];
  checks: CheckName[];
}

/** Reads, parses and validates a scenario file (YAML or JSON). Throws RetryproofError on bad input. */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RetryproofError('SCENARIO_UNREADABLE', `cannot read the scenario file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { file }, 'check the path', { cause: error });
  }
  return parseScenario(text, file);
}

/** Parses and validates scenario text; `file` names it in messages and anchors relative paths. */
export function parseScenario(text: string, file: string): Scenario {
  const raw = parseDocument(text, file);
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) throw schemaError(result.error, file, raw);
  const scenario = result.data;
  checkUniqueOperations(scenario, file);
  checkRoutes(scenario, file);
  checkHosts(scenario, file);
  checkTargetKind(scenario, file);
  checkTemplates(scenario, file);
  checkStateProbes(scenario, file);
  const dir = path.dirname(path.resolve(file));
  checkPaths(scenario, file, dir);
  checkExpectations(scenario, file);
  return {
    ...scenario,
    name: scenario.name ?? path.basename(file).replace(/\.(ya?ml|json)$/i, ''),
    file,
    dir,
    cwd: path.resolve(dir, targetCwd(scenario) ?? '.'),
    faults: scenario.faults ?? [...FAULT_NAMES],
    // A split check named the old way still means both halves (see SPLIT_CHECKS).
    checks: expandCheckNames(scenario.checks ?? CHECK_NAMES),
  };
}

function parseDocument(text: string, file: string): unknown {
  if (/\.json$/i.test(file)) {
    try {
      return JSON.parse(text);
    } catch (error) {
      const message = (error as Error).message;
      throw new RetryproofError('SCENARIO_SYNTAX', `not valid JSON: ${message}`, { file, field: jsonErrorPlace(text, message) }, 'fix the JSON syntax at that line');
    }
  }
  const document = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = document.errors[0];
  if (first) {
    const line = first.linePos?.[0];
    const at = line ? `line ${line.line}, column ${line.col}` : undefined;
    throw new RetryproofError('SCENARIO_SYNTAX', `not valid YAML: ${first.message.split('\n')[0]}`, { file, field: at }, 'fix the YAML syntax at that line');
  }
  let value: unknown;
  try {
    value = document.toJS();
  } catch (error) {
    // e.g. an alias to an anchor that does not exist: name the alias's line.
    const alias = /alias\b.*?:\s*\*?([^\s:]+)\s*$/i.exec((error as Error).message.split('\n')[0]!)?.[1] ?? /alias\s+\*?([^\s:]+)/i.exec((error as Error).message)?.[1];
    const index = alias ? text.indexOf(`*${alias}`) : -1;
    const at = index >= 0 ? `line ${text.slice(0, index).split('\n').length}` : undefined;
    throw new RetryproofError('SCENARIO_SYNTAX', `not valid YAML: ${(error as Error).message.split('\n')[0]}`, { file, field: at }, 'fix the YAML at that line (an alias needs an anchor defined before it)');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RetryproofError('SCENARIO_INVALID', 'the file must hold a mapping with target, upstreams and operations', { file }, 'see `retryproof schema` or the README for the format');
  }
  return value;
}

/** "line L, column C" from a JSON.parse message's "position N" (Node 20 gives only the offset), or the end of the text. */
function jsonErrorPlace(text: string, message: string): string {
  // Node 20 says "position N", or quotes the text around the error: "# expect-f"...
  const position = /position (\d+)/.exec(message);
  const quoted = /"(.{1,40}?)"(\.\.\.)? is not valid JSON/.exec(message)?.[1];
  const found = quoted ? text.indexOf(quoted.replace(/^\.\.\./, '')) : -1;
  const offset = position ? Number(position[1]) : found >= 0 ? found : text.length;
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

/** Formats a field path the way users write it: operations[0].args[3]. */
export function fieldPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`))
    .join('') || '(top level)';
}

function schemaError(error: z.ZodError, file: string, raw: unknown): RetryproofError {
  const issue = error.issues[0]!;
  const modelless = upstreamWithoutModel(issue, raw);
  if (modelless) {
    return new RetryproofError(
      'SCENARIO_INVALID',
      `missing model; expected one of: ${UPSTREAM_MODELS.join(', ')} (or routes: [...] for several routes on one upstream)`,
      { file, field: `upstreams.${modelless}.model` },
      'give the upstream a model, e.g. model: resource',
    );
  }
  // An unknown field is named itself, not its parent.
  const field = fieldPath(issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : issue.path);
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})` : '';
  return new RetryproofError('SCENARIO_INVALID', `${describeIssue(issue, raw)}${more}`, { file, field }, fixFor(issue));
}

const UPSTREAM_MODELS = ['resource', 'mailer', 'counter', 'deployer', 'custom', 'openapi', 'har'];

/**
 * An upstream entry with neither model nor routes is read by the schema as a
 * multi-route upstream (whose `model: routes` may be left out) missing its
 * routes: name what is really missing, the model. Returns the upstream's name.
 */
function upstreamWithoutModel(issue: z.core.$ZodIssue, raw: unknown): string | undefined {
  const [top, name, field] = issue.path;
  if (top !== 'upstreams' || typeof name !== 'string') return undefined;
  const entry = valueAt(raw, ['upstreams', name]);
  if (!entry || typeof entry !== 'object' || 'model' in entry || 'routes' in entry) return undefined;
  const aboutEntry = (issue.path.length === 3 && field === 'routes') || (issue.path.length === 2 && issue.code === 'unrecognized_keys');
  return aboutEntry ? name : undefined;
}

function valueAt(raw: unknown, segments: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const got = valueAt(raw, issue.path);
  const shown = got === undefined ? 'nothing' : JSON.stringify(got);
  switch (issue.code) {
    case 'invalid_type':
      return got === undefined ? `missing; expected ${issue.expected}` : `expected ${issue.expected}, got ${shown}`;
    case 'invalid_value':
      return `got ${shown}; expected one of: ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_union':
      if ('discriminator' in issue && issue.discriminator) {
        // The values the discriminator takes; undefined stands for `model: routes` left out.
        const options = (issue as { options?: unknown[] }).options?.filter((option) => option !== undefined && option !== null);
        return options?.length ? `got ${shown}; expected one of: ${options.map(String).join(', ')}` : `${issue.message}`;
      }
      return `got ${shown}, which matches none of the accepted forms`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'too_small':
      return `got ${shown}; ${issue.message.replace(/^Too small: expected /, 'expected ')}`;
    case 'too_big':
      return `got ${shown}; ${issue.message.replace(/^Too big: expected /, 'expected ')}`;
    default:
      return `got ${shown}; ${issue.message}`;
  }
}

function fixFor(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return 'remove it or check its spelling (`retryproof schema` lists every field)';
  if (issue.code === 'invalid_value') return 'use one of the listed values';
  return 'see `retryproof schema` for the expected format of this field';
}

function checkUniqueOperations(scenario: ScenarioFile, file: string): void {
  const seen = new Map<string, number>();
  scenario.operations.forEach((operation, index) => {
    const earlier = seen.get(operation.name);
    if (earlier !== undefined) {
      throw new RetryproofError('SCENARIO_INVALID', `duplicate operation name "${operation.name}" (also operations[${earlier}])`, { file, field: `operations[${index}].name` }, 'give each operation its own name');
    }
    seen.set(operation.name, index);
  });
}

/**
 * The routes of one upstream must not overlap: each request must have one
 * route to serve it, and one noun and set of semantics to judge it by.
 */
function checkRoutes(scenario: ScenarioFile, file: string): void {
  for (const [name, upstream] of Object.entries(scenario.upstreams)) {
    if (upstream.model !== 'routes') continue;
    upstream.routes.forEach((route, index) => {
      const earlier = upstream.routes.findIndex((other, i) => i < index && pathsOverlap(other.path, route.path));
      if (earlier < 0) return;
      const other = upstream.routes[earlier]!.path;
      const how = other.toLowerCase() === route.path.toLowerCase() ? `is the path of routes[${earlier}] already` : `overlaps ${other} of routes[${earlier}]: a request could be served by both`;
      throw new RetryproofError(
        'SCENARIO_INVALID',
        `${route.path} ${how}`,
        { file, field: `upstreams.${name}.routes[${index}].path` },
        `give each route of upstream ${name} its own path, no path inside another (/charges and /audit, not /charges and /charges/refunds); one route serves all the requests under its path`,
      );
    });
  }
}

/**
 * Proxy mode serves declared hosts to command targets (the harness sets their
 * proxy variables); a host belongs to one upstream only, or a request to it
 * would have two places to go.
 */
function checkHosts(scenario: ScenarioFile, file: string): void {
  const owner = new Map<string, string>();
  for (const [name, upstream] of Object.entries(scenario.upstreams)) {
    const hosts = declaredHosts(upstream);
    if (hosts.length === 0) continue;
    const field = `upstreams.${name}.${upstream.host ? 'host' : 'hosts'}`;
    if (scenario.target.kind !== 'command') {
      throw new RetryproofError('SCENARIO_INVALID', `host is only for command targets (this target is ${scenario.target.kind}): the harness hands a command its proxy in its environment`, { file, field }, `remove host and give the target {{upstreams.${name}.url}}, or test the tool as a command target`);
    }
    for (const host of hosts) {
      const other = owner.get(host);
      if (other && other !== name) {
        throw new RetryproofError('SCENARIO_INVALID', `${host} is declared by upstream ${other} already`, { file, field }, 'declare each host on one upstream only (use routes: for several models behind one host)');
      }
      owner.set(host, name);
    }
  }
}

/** The hosts an upstream stands for in proxy mode, `host` and `hosts` together, each once. */
export function declaredHosts(upstream: { host?: string | undefined; hosts?: string[] | undefined }): string[] {
  return [...new Set([...(upstream.host ? [upstream.host] : []), ...(upstream.hosts ?? [])])];
}

function targetCwd(scenario: ScenarioFile): string | undefined {
  const target = scenario.target;
  if (target.kind === 'command') return target.cwd;
  if (target.kind === 'http') return target.start?.cwd;
  return undefined;
}

/** Fields that only make sense for one kind of target. */
function checkTargetKind(scenario: ScenarioFile, file: string): void {
  scenario.operations.forEach((operation, index) => {
    if (scenario.target.kind === 'http' && !operation.request) {
      throw new RetryproofError('SCENARIO_INVALID', 'missing; an http target needs the request each operation sends', { file, field: `operations[${index}].request` }, 'add request: {method: POST, path: /..., body: {...}}');
    }
    if (scenario.target.kind !== 'http' && operation.request) {
      throw new RetryproofError('SCENARIO_INVALID', `request is only for http targets (this target is ${scenario.target.kind})`, { file, field: `operations[${index}].request` }, 'use args for a command target, input for a module target');
    }
  });
}

/** A check the scenario expects to fail must be one it runs, or the run could never be as expected. */
function checkExpectations(scenario: ScenarioFile, file: string): void {
  if (!scenario.checks) return;
  const checks = expandCheckNames(scenario.checks);
  scenario.expect.fail.forEach((check, index) => {
    if (!checks.includes(check)) {
      throw new RetryproofError('SCENARIO_INVALID', `expects ${check} to fail, but the scenario's checks do not include it`, { file, field: `expect.fail[${index}]` }, `add ${check} to checks, or remove it from expect.fail`);
    }
  });
}

function checkPaths(scenario: ScenarioFile, file: string, dir: string): void {
  const cwd = scenario.target.kind === 'command' ? scenario.target.cwd : scenario.target.kind === 'http' ? scenario.target.start?.cwd : undefined;
  if (cwd !== undefined && !existsSync(path.resolve(dir, cwd))) {
    const field = scenario.target.kind === 'command' ? 'target.cwd' : 'target.start.cwd';
    throw new RetryproofError('SCENARIO_INVALID', `no such folder: ${path.resolve(dir, cwd)}`, { file, field }, "give the working directory relative to the scenario file's folder");
  }
  if (scenario.target.kind === 'module') {
    const modulePath = path.resolve(dir, scenario.target.path);
    if (!existsSync(modulePath)) {
      throw new RetryproofError('SCENARIO_INVALID', `no such module: ${modulePath}`, { file, field: 'target.path' }, "give the module's path relative to the scenario file's folder");
    }
    if (/\.(c|m)?ts$/.test(modulePath) && !(process.features as { typescript?: unknown }).typescript) {
      throw new RetryproofError('SCENARIO_INVALID', `Node ${process.versions.node} cannot import TypeScript (${path.basename(modulePath)})`, { file, field: 'target.path' }, 'point target.path at the built JavaScript (e.g. dist/...js)');
    }
  }
  // A custom upstream's handlers module: its exports are checked when the run imports it.
  for (const [name, upstream] of Object.entries(scenario.upstreams)) {
    if (upstream.model !== 'custom') continue;
    const field = `upstreams.${name}.module`;
    const modulePath = path.resolve(dir, upstream.module);
    if (!existsSync(modulePath)) {
      throw new RetryproofError('SCENARIO_INVALID', `no such module: ${modulePath}`, { file, field }, "give the handlers module's path relative to the scenario file's folder");
    }
    if (/\.(c|m)?ts$/.test(modulePath) && !(process.features as { typescript?: unknown }).typescript) {
      throw new RetryproofError('SCENARIO_INVALID', `Node ${process.versions.node} cannot import TypeScript (${path.basename(modulePath)})`, { file, field }, 'point module at the built JavaScript, or write the handlers module in .mjs');
    }
  }
}

type Strings = readonly string[] | Record<string, string> | undefined;
const stringsOf = (prefix: string, value: Strings): Array<[string, string]> =>
  Array.isArray(value)
    ? value.map((text, i) => [`${prefix}[${i}]`, text])
    : Object.entries(value ?? {}).map(([key, text]) => [`${prefix}.${key}`, text]);

/** Every string inside a JSON value, with its field path. */
function jsonStrings(prefix: string, value: unknown): Array<[string, string]> {
  if (typeof value === 'string') return [[prefix, value]];
  if (Array.isArray(value)) return value.flatMap((item, i) => jsonStrings(`${prefix}[${i}]`, item));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => jsonStrings(`${prefix}.${key}`, item));
  return [];
}

function targetStrings(scenario: ScenarioFile): Array<[string, string]> {
  const target = scenario.target;
  if (target.kind === 'command') return [...stringsOf('target.argv', target.argv), ...stringsOf('target.env', target.env)];
  if (target.kind === 'http' && target.start) return [...stringsOf('target.start.argv', target.start.argv), ...stringsOf('target.start.env', target.start.env)];
  return [];
}

function checkTemplates(scenario: ScenarioFile, file: string): void {
  const upstreams = Object.keys(scenario.upstreams);
  const strings = stringsOf;
  const fromTarget = targetStrings(scenario);
  scenario.operations.forEach((operation, index) => {
    const known = { upstreams, inputs: Object.keys(operation.input), services: Object.keys(scenario.services) };
    const at = `operations[${index}]`;
    const own = [
      ...strings(`${at}.args`, operation.args),
      ...strings(`${at}.env`, operation.env),
      ...(operation.request
        ? [[`${at}.request.path`, operation.request.path] as [string, string], ...strings(`${at}.request.headers`, operation.request.headers), ...jsonStrings(`${at}.request.body`, operation.request.body)]
        : []),
      ...strings(`${at}.dryRun.args`, operation.dryRun?.args),
    ];
    for (const [field, text] of [...fromTarget, ...own]) {
      for (const reference of templateReferences(text)) {
        // {{port}} is the free port the harness gives an http target it starts.
        if (field.startsWith('target.start.')) {
          // {{case.dir}}: the case's folder with restart: per-case, else a folder for the API's life (issue 14).
          if (reference === 'port' || reference === 'case.dir') continue;
          if (/^services\.[^.]+\.url$/.test(reference)) {
            throw new RetryproofError('TEMPLATE_UNKNOWN', `the template {{${reference}}} has no value when the API starts: each case gets its own database, and an http target's API is started before its cases`, { file, field }, 'services are for command and module targets for now; an API can use a SQLite file under {{case.dir}} with restart: per-case');
          }
          // The API starts once for many invocations: a key or an input has no value then.
          if (!/^upstreams\.[^.]+\.url$/.test(reference)) {
            throw new RetryproofError('TEMPLATE_UNKNOWN', `the template {{${reference}}} has no value when the API starts; target.start may use only {{port}}, {{case.dir}} and {{upstreams.NAME.url}}`, { file, field }, 'move per-request values into operations[].request');
          }
        }
        const reason = unresolvedReason(reference, known);
        if (reason) {
          const context = field.startsWith('target.') ? ` (as used by operation "${operation.name}")` : '';
          throw new RetryproofError('TEMPLATE_UNKNOWN', `${reason}${context}`, { file, field }, 'fix the name inside {{ }} or declare it');
        }
      }
    }
  });
}

/**
 * State probes (`state:`): names unique, an http probe only where there is an
 * API under test, templates only of what exists once a case is over, and no
 * upstream named like a state source ("db", "files", "api"), whose effects
 * would mix with the probe's.
 */
function checkStateProbes(scenario: ScenarioFile, file: string): void {
  for (const [name, service] of Object.entries(scenario.services)) {
    if (service.init && !existsSync(path.resolve(path.dirname(path.resolve(file)), service.init))) {
      throw new RetryproofError('SCENARIO_INVALID', `the init SQL file "${service.init}" of service "${name}" does not exist`, { file, field: `services.${name}.init` }, 'give a path relative to the scenario file');
    }
    if (scenario.target.kind === 'http') {
      throw new RetryproofError('SCENARIO_INVALID', `services give each case its own database, and an http target's API is started before its cases`, { file, field: `services.${name}` }, 'services are for command and module targets for now; an API can use a SQLite file under {{case.dir}} with restart: per-case');
    }
  }
  const seen = new Set<string>();
  scenario.state.forEach((probe, index) => {
    const at = `state[${index}]`;
    if (seen.has(probe.name)) throw new RetryproofError('SCENARIO_INVALID', `two state probes are named "${probe.name}"`, { file, field: `${at}.name` }, 'give each state probe its own name: it names the effects in reports');
    seen.add(probe.name);
    const source = STATE_SOURCES[probe.kind];
    if (Object.hasOwn(scenario.upstreams, source)) {
      throw new RetryproofError('SCENARIO_INVALID', `the upstream "${source}" has the name the ${probe.kind} state probe "${probe.name}" records its effects under`, { file, field: `upstreams.${source}` }, `rename the upstream: "${source}" names the target's own ${probe.kind === 'files' ? 'files' : probe.kind === 'http' ? 'API list' : 'database'} in reports`);
    }
    if (probe.kind === 'http' && scenario.target.kind !== 'http') {
      throw new RetryproofError('SCENARIO_INVALID', `an http state probe reads the API under test, and this target is a ${scenario.target.kind}`, { file, field: `${at}.kind` }, 'use kind: sqlite or files for the state a command or module writes');
    }
    const texts: Array<[string, string]> =
      probe.kind === 'sqlite' ? [[`${at}.file`, probe.file]] : probe.kind === 'files' ? [[`${at}.dir`, probe.dir]] : probe.kind === 'postgres' ? [[`${at}.url`, probe.url]] : [];
    for (const [field, text] of texts) {
      for (const reference of templateReferences(text)) {
        if (reference === 'case.dir') continue;
        const service = /^services\.([^.]+)\.url$/.exec(reference);
        if (service && Object.hasOwn(scenario.services, service[1]!)) continue;
        const upstream = /^upstreams\.([^.]+)\.url$/.exec(reference);
        if (upstream && Object.hasOwn(scenario.upstreams, upstream[1]!)) continue;
        throw new RetryproofError('TEMPLATE_UNKNOWN', `the template {{${reference}}} has no value when the state is read; a state probe may use {{case.dir}}, {{services.NAME.url}} (and {{upstreams.NAME.url}})`, { file, field }, 'point the probe at the file the target writes, e.g. "{{case.dir}}/shop.db"');
      }
    }
  });
}
