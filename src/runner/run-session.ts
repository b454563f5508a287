import { mkdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { countByRoute, type Baseline } from '../checks/check.js';
import { invocationOutcome } from '../checks/outcome.js';
import { inFile, RetryproofError } from '../errors.js';
import type { PlannedCase, RouteContacts } from '../explore/systematic.js';
import { Ledger } from '../ledger/ledger.js';
import type { CaseRows } from '../ledger/rows.js';
import type { Scenario } from '../scenario/load.js';
import type { UpstreamTraits } from '../upstream/model.js';
import { VERSION } from '../version.js';
import { killEscapedProcesses } from '../targets/process-group.js';
import { throwIfInterrupted } from './interrupted.js';
import { runOnLanes } from './pool.js';
import { LaneOverlap, settlingCapacity } from './overlap.js';
import type { BaselineResult, CaseResult } from '../core/result.js';
import { executeCase, runCase, type CaseEnvironment, type ExecutedCase } from './run-case.js';
import { startTargetSession } from './target-session.js';
import { startUpstreams } from './upstreams.js';
import { prepareProxyAuthority } from './proxy-authority.js';
import { describeRefusals } from '../upstream/proxy/refusals.js';
import { describeStrays } from './strays.js';
import { stateProbes } from '../state/index.js';
import { closePostgresProbes } from '../state/postgres-probe.js';
import { startServices, type RunningServices } from '../services/index.js';

export interface SessionOptions {
  /** Folder that receives `<scenario>/<run-id>/` (default `reports`). */
  reportsDir?: string;
  /** Cases run at once, each lane with its own upstream servers and target session (default 1). */
  concurrency?: number;
  /** Aborted on SIGINT/SIGTERM: no new case starts, the running ones are dropped, what finished is kept. */
  signal?: AbortSignal;
}

/**
 * Everything a run holds open: its folder and ledger, one or more lanes of
 * upstreams and target, and the clean-run baselines. `finish` or `abort`
 * releases it all; nothing half-written survives an abort.
 */
export interface RunSession {
  runId: string;
  runDir: string;
  startedAt: Date;
  ledger: Ledger;
  baselines: ReadonlyMap<string, Baseline>;
  baselineResults: BaselineResult[];
  /** Upstreams each operation's clean run talked to, in order of first contact. */
  contacts: ReadonlyMap<string, readonly string[]>;
  /** Upstreams of several routes: the routes each operation's clean run sent to, with how many requests each. */
  routeContacts: RouteContacts;
  unsupportedFaults: ReadonlyMap<string, string>;
  /** Runs planned cases across the lanes; results in plan order (absent after an early stop). */
  runCases(
    planned: readonly PlannedCase[],
    kind: CaseResult['kind'],
    options?: { onCase?: (result: CaseResult) => void; stopWhen?: (result: CaseResult) => boolean },
  ): Promise<Array<CaseResult | undefined>>;
  /** Whether the run was interrupted (its report is then marked incomplete). */
  interrupted(): boolean;
  /** Lanes whose cases may overlap their settle windows, how many cases handed over, and on how many lanes a conflict stopped it (see overlap.ts). */
  settleOverlap(): { lanes: number; handedOver: number; stopped: number };
  /** Runs one case on the first lane. */
  runOne(planned: PlannedCase, kind: CaseResult['kind']): Promise<CaseResult>;
  finish(): Promise<void>;
  abort(): Promise<void>;
}

/** Two runs started in the same millisecond by one process still get two folders. */
let runCounter = 0;

export async function openRunSession(scenario: Scenario, options: SessionOptions = {}): Promise<RunSession> {
  const startedAt = new Date();
  runCounter += 1;
  const runId = `${startedAt.toISOString().replace(/[:.]/g, '-')}-${process.pid}${runCounter > 1 ? `-${runCounter}` : ''}`;
  const runDir = path.resolve(options.reportsDir ?? 'reports', scenario.name, runId);
  // The folders this run creates (reports/, reports/<scenario>/): an aborted run removes them again if it leaves them empty.
  let created: string | undefined;
  try {
    created = mkdirSync(runDir, { recursive: true });
  } catch (error) {
    throw new RetryproofError('BAD_ARGUMENT', `cannot create the run folder ${runDir} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { field: '--reports' }, 'give --reports a folder you can write to');
  }
  const partialLedger = path.join(runDir, '.ledger.sqlite.partial');
  const ledger = new Ledger(partialLedger);
  ledger.setMeta('scenario', scenario.name);
  ledger.setMeta('runId', runId);
  ledger.setMeta('retryproofVersion', VERSION);

  const lanes: CaseEnvironment[] = [];
  let services: RunningServices | undefined;
  const keySalt = scenario.target.kind === 'http' && scenario.target.baseUrl ? `@${runId}` : '';
  const release = async (): Promise<void> => {
    for (const lane of lanes.splice(0)) {
      await lane.target.close().catch(() => undefined);
      await lane.upstreams.close().catch(() => undefined);
    }
    await closePostgresProbes();
    await services?.close().catch(() => undefined);
    services = undefined;
    // Daemons a target started in a session of their own: nothing of a run outlives it.
    killEscapedProcesses();
  };
  const abort = async (): Promise<void> => {
    await release();
    ledger.close();
    rmSync(runDir, { recursive: true, force: true });
    for (let dir = path.dirname(runDir); created && dir.length >= created.length; dir = path.dirname(dir)) {
      try {
        rmdirSync(dir); // only if empty
      } catch {
        break;
      }
    }
  };

  try {
    // One server per run for every lane; each case gets its own database.
    services = await startServices(scenario);
    const authority = await prepareProxyAuthority(scenario, runDir);
    for (let i = 0; i < Math.max(1, options.concurrency ?? 1); i += 1) {
      const upstreams = await startUpstreams(scenario, i + 1, authority);
      try {
        lanes.push({ scenario, upstreams, target: await startTargetSession(scenario, upstreams), ledger, signal: options.signal, keySalt, probes: stateProbes(scenario.state ?? []), services });
      } catch (error) {
        await upstreams.close();
        throw error;
      }
    }
    const first = lanes[0]!;
    const baselines = new Map<string, Baseline>();
    const contacts = new Map<string, string[]>();
    const routeContacts = new Map<string, Map<string, Map<string, number>>>();
    const baselineResults: BaselineResult[] = [];
    for (const operation of scenario.operations) {
      throwIfInterrupted(options.signal);
      const started = performance.now();
      const id = `${operation.name}/baseline`;
      const schedule = { operation: operation.name, faults: [], caller: { retries: 0, key: 'same' as const, replay: false, delayMs: 0 } };
      // Each try its own keys: a target that keeps keys (in memory, in its store) would answer a retried
      // clean run from the first try's entry, with no request at all, and the reference would be 0 effects.
      const tryOn = (attempt: number) => (attempt === 1 ? first : { ...first, keySalt: `${first.keySalt ?? ''}#try${attempt}` });
      const { rows, discarded } = await cleanBaseline((attempt) => executeCase(tryOn(attempt), id, 'baseline', schedule), scenario, operation.name);
      ledger.recordCase({ id, operation: operation.name, kind: 'baseline', scheduleJson: JSON.stringify(schedule) }, rows, () => []);
      assertBaselineSucceeded(scenario, operation.name, rows);
      const upstreamOrder = [...new Set(rows.requests.map((request) => request.upstream))];
      baselines.set(operation.name, { operation: operation.name, effects: rows.effects, routeCounts: countByRoute(rows.effects) });
      contacts.set(operation.name, upstreamOrder);
      routeContacts.set(operation.name, routesSentTo(rows, first.upstreams.traits));
      baselineResults.push({
        operation: operation.name,
        effects: Object.fromEntries(countByRoute(rows.effects)),
        upstreams: upstreamOrder,
        requests: rows.requests.length,
        durationMs: Math.round(performance.now() - started),
        reportedEffect: rows.invocations[0]?.effect ?? null,
        ...(discarded.length > 0 ? { discarded } : {}),
      });
    }
    // Each lane's last judged case: stray requests after it are noted on it.
    const lastOn = new Map<CaseEnvironment, CaseResult>();
    const recordStrays = (lane: CaseEnvironment, all: boolean, current?: CaseResult): void => {
      for (const batch of lane.upstreams.strays?.drain(all) ?? []) {
        ledger.recordCase({ id: batch.id, operation: batch.operation, kind: 'strays', scheduleJson: 'null' }, batch.rows, () => []);
        const last = lastOn.get(lane);
        if (last && last.id === batch.after) last.notes.push(describeStrays(batch, 'after'));
        else (current ?? last)?.notes.push(describeStrays(batch, 'before'));
      }
    };
    // Lanes of an http API that lives from case to case: each case's settle window stays open while the next runs.
    const overlaps = new Map(lanes.filter((lane) => settlingCapacity(scenario, lane.upstreams) > 0).map((lane) => [lane, new LaneOverlap(settlingCapacity(scenario, lane.upstreams))]));
    const run = async (lane: CaseEnvironment, planned: PlannedCase, kind: CaseResult['kind'], release?: () => void): Promise<CaseResult> => {
      const overlap = overlaps.get(lane);
      // A request without the caller's key (the missing-key probe) has nothing to tell it from a neighbour's by: it runs alone.
      const turn = overlap && release ? { overlap, release, alone: planned.schedule.caller.omitKey === true } : undefined;
      const result = await runCase(lane, planned.id, kind, planned.schedule, baselines.get(planned.schedule.operation)!, turn);
      recordStrays(lane, false, result);
      lastOn.set(lane, result);
      return result;
    };
    const lanesNow = [...lanes];
    return {
      runId,
      runDir,
      startedAt,
      ledger,
      baselines,
      baselineResults,
      contacts,
      routeContacts,
      unsupportedFaults: first.target.unsupportedFaults,
      runCases: (planned, kind, opts = {}) =>
        runOnLanes(
          lanes,
          planned,
          async (lane, item, _index, release) => {
            const result = await run(lane, item, kind, release);
            opts.onCase?.(result);
            return result;
          },
          (result) => opts.stopWhen?.(result) ?? false,
          options.signal,
        ),
      runOne: (planned, kind) => run(first, planned, kind),
      settleOverlap: () => {
        const all = [...overlaps.values()];
        return { lanes: all.length, handedOver: all.reduce((sum, overlap) => sum + overlap.handedOver, 0), stopped: all.filter((overlap) => !overlap.active).length };
      },
      interrupted: () => options.signal?.aborted ?? false,
      finish: async () => {
        await release();
        // What came after each lane's last case, until its target and upstreams closed.
        for (const lane of lanesNow) recordStrays(lane, true);
        ledger.close();
        renameSync(partialLedger, path.join(runDir, 'ledger.sqlite'));
      },
      abort,
    };
  } catch (error) {
    await abort();
    throw inFile(error, scenario.file);
  }
}

function assertBaselineSucceeded(scenario: Scenario, operation: string, rows: CaseRows): void {
  const invocation = rows.invocations[0];
  if (invocation && invocationOutcome(invocation, scenario.exitCodes) === 'success') return;
  const how = !invocation
    ? 'never ran'
    : invocation.killed
      ? `was killed (${invocation.killReason}) after ${invocation.durationMs} ms`
      : invocation.httpStatus !== undefined && invocation.targetKind === 'http'
        ? `got ${invocation.httpStatus ?? `no response (${invocation.error ?? 'unknown error'})`}`
        : `exited ${invocation.exitCode ?? invocation.signal}${invocation.effect ? ` with effect "${invocation.effect}"` : ''}`;
  const index = scenario.operations.findIndex((op) => op.name === operation);
  throw new RetryproofError(
    'BASELINE_FAILED',
    `the clean run of operation "${operation}" (no faults) did not succeed: it ${how}${invocation ? `\n${baselineEvidence(invocation, rows)}` : ''}`,
    { file: scenario.file, field: `operations[${index}]` },
    'a clean run is the reference for every faulted case: make the operation succeed against healthy upstreams (check argv, env and exitCodes.success)',
  );
}

/** The lines a user needs to see why a clean run failed: what the target printed, and what the upstreams answered. */
function baselineEvidence(invocation: CaseRows['invocations'][number], rows: CaseRows): string {
  const tail = (text: string): string[] => text.trimEnd().split('\n').slice(-TAIL_LINES).map((line) => `    ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`);
  const lines: string[] = [];
  if (invocation.error) lines.push(`  error: ${invocation.error}`);
  if (invocation.stdout.trim()) lines.push(`  stdout (last lines):`, ...tail(invocation.stdout));
  if (invocation.stderr.trim()) lines.push(`  stderr (last lines):`, ...tail(invocation.stderr));
  if (!invocation.stdout.trim() && !invocation.stderr.trim() && !invocation.error) lines.push('  it printed nothing');
  const refused = describeRefusals((rows as Partial<ExecutedCase>).refused ?? []);
  if (refused) lines.push(`  ${refused}`);
  if (rows.requests.length === 0) {
    lines.push('  upstream requests: none (is the upstream URL passed to the target, e.g. env: { API_URL: "{{upstreams.NAME.url}}" }?)');
  } else {
    lines.push('  upstream requests:');
    for (const request of rows.requests) {
      const answer = request.clientStatus !== null ? `answered ${request.clientStatus}` : `no answer (${request.delivery})`;
      lines.push(`    ${request.id}. ${request.method} ${request.path} to ${request.upstream}: ${answer}, ${request.outcome}${request.outcome === 'unmatched' ? ' (no route of the upstream matches this path)' : ''}`);
    }
  }
  return lines.join('\n');
}

/** How much of the target's output a failed clean run shows. */
const TAIL_LINES = 5;

/** How many times a clean run is tried before its own client timeouts make it no reference. */
const BASELINE_TRIES = 3;
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Runs the clean run until the target did not give up on a healthy upstream.
 * A request the client abandoned in a fault-free case means the target's own
 * timeout fired (a loaded machine, a slow start): its retries would then make
 * the reference count two charges as one operation's right, and hide every
 * later duplicate. Such a run is discarded and tried again; if every try
 * abandons a request, the scenario cannot be judged on this machine (exit 2).
 * A client that times out while the answer is already on its way leaves no
 * abandoned request, only a second identical write: a run that sent a write
 * route twice with no fault is tried again too, and the try with the fewest
 * requests is the reference (a target that always sends it twice keeps it).
 */
async function cleanBaseline(run: (attempt: number) => Promise<CaseRows>, scenario: Scenario, operation: string): Promise<{ rows: CaseRows; discarded: string[] }> {
  const discarded: string[] = [];
  let repeating: { rows: CaseRows; attempt: number; what: string } | null = null;
  for (let attempt = 1; attempt <= BASELINE_TRIES; attempt += 1) {
    const rows = await run(attempt);
    const abandoned = rows.requests.filter((request) => request.delivery === 'abandoned');
    if (abandoned.length > 0) {
      const what = abandoned.map((request) => `request ${request.id} (${request.method} ${request.path.split('?')[0]} to ${request.upstream}, after ${Math.round((request.endedMs ?? request.startedMs) - request.startedMs)} ms)`).join(', ');
      discarded.push(`clean run ${attempt}: the target gave up on ${what} of a healthy upstream`);
      continue;
    }
    const repeated = repeatedWrites(rows);
    if (repeated === null) {
      if (repeating) discarded.push(`clean run ${repeating.attempt}: the target sent ${repeating.what} with no fault, a later try did not`);
      return { rows, discarded };
    }
    if (repeating === null || rows.requests.length < repeating.rows.requests.length) {
      if (repeating) discarded.push(`clean run ${repeating.attempt}: the target sent ${repeating.what} with no fault, a later try sent fewer requests`);
      repeating = { rows, attempt, what: repeated };
    } else {
      discarded.push(`clean run ${attempt}: the target sent ${repeated} with no fault, an earlier try sent fewer requests`);
    }
  }
  // Every try that got its answers repeated the write: that is how the target works.
  if (repeating) return { rows: repeating.rows, discarded };
  const index = scenario.operations.findIndex((op) => op.name === operation);
  throw new RetryproofError(
    'BASELINE_FAILED',
    `the clean run of operation "${operation}" is no reference: in ${BASELINE_TRIES} tries the target gave up on a request to a healthy upstream (${discarded.join('; ')}), so its own retries would count as the right number of effects`,
    { file: scenario.file, field: `operations[${index}]` },
    "raise the target's own request timeout (or the machine's load is too high for it): a clean run must get every answer",
  );
}

/** The write routes a fault-free run sent more than once, in words, or null. */
function repeatedWrites(rows: CaseRows): string | null {
  const counts = new Map<string, number>();
  for (const request of rows.requests) {
    // A database's COMMITs (method SQL): two transactions in a clean run are how the target works, not a timeout's retry.
    if (READ_METHODS.has(request.method.toUpperCase()) || request.method === 'SQL') continue;
    const route = `${request.method} ${request.path.split('?')[0]} to ${request.upstream}`;
    counts.set(route, (counts.get(route) ?? 0) + 1);
  }
  const repeated = [...counts].filter(([, count]) => count > 1).map(([route, count]) => `${route} ${count} times`);
  return repeated.length > 0 ? repeated.join(', ') : null;
}

/**
 * The routes a clean run sent to on each upstream of several routes, by the
 * name a fault binding matches (`METHOD /path`, no query), in order of first
 * contact, with how many requests each.
 */
function routesSentTo(rows: CaseRows, traits: ReadonlyMap<string, UpstreamTraits>): Map<string, Map<string, number>> {
  const routes = new Map<string, Map<string, number>>();
  for (const request of rows.requests) {
    // A database's COMMITs (method SQL) are one site: the Nth COMMIT, whatever the state probes' routes.
    if (!traits.get(request.upstream)?.routes || request.method === 'SQL') continue;
    const route = `${request.method} ${request.path.split('?')[0]}`;
    const own = routes.get(request.upstream) ?? new Map<string, number>();
    own.set(route, (own.get(route) ?? 0) + 1);
    routes.set(request.upstream, own);
  }
  return routes;
}
