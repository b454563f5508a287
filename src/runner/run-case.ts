import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { playOperation } from '../caller/caller.js';
import { callerKey, callerKeyDigest, digestOfCallerKey } from '../caller/keys.js';
import { checkScenarioOf, type Baseline, type CheckResult } from '../checks/check.js';
import type { CheckName } from '../core/check-names.js';
import { confirmTimingFailures } from './confirm-timing.js';
import { confirmReplayFailure } from './quiet-replay.js';
import { startNoiseMeter } from './scheduling-noise.js';
import { invocationOutcome, operationOutcome } from '../checks/outcome.js';
import { CHECKS } from '../checks/registry.js';
import { describeSchedule } from '../explore/describe.js';
import type { Schedule } from '../core/schedule.js';
import type { CaseRecord, Ledger } from '../ledger/ledger.js';
import type { CaseRows } from '../ledger/rows.js';
import type { Scenario } from '../scenario/load.js';
import type { RunningInvocation } from '../targets/target.js';
import { describeOutcome } from './describe-outcome.js';
import { throwIfInterrupted } from './interrupted.js';
import { constructionNotes } from './notes.js';
import { CaseRecorder } from './recorder.js';
import { settleSettings, settleWindow, type SettleReport } from './settle.js';
import type { CaseResult, FaultApplication } from '../core/result.js';
import type { TargetSession } from './target-session.js';
import type { ProbeWhere, StateProbe } from '../state/index.js';
import type { CaseServices, RunningServices } from '../services/index.js';
import type { CommitEvent } from '../services/pg-commit-proxy.js';
import { readState, recordStateEffects, type StateSnapshot } from './state-effects.js';
import type { RunningUpstreams } from './upstreams.js';
import type { LaneTurn } from './overlap.js';
import type { UpstreamSession } from '../upstream/pipeline.js';
import { describeRefusals, type Refusal } from '../upstream/proxy/refusals.js';

export interface CaseEnvironment {
  scenario: Scenario;
  upstreams: RunningUpstreams;
  target: TargetSession;
  ledger: Ledger;
  /** Aborted when the run is interrupted. */
  signal?: AbortSignal;
  /**
   * Mixed into the caller's keys. Empty (keys repeat from run to run, so a case
   * replays exactly) except for an API already running at a base URL, whose key
   * store outlives the run and would answer a new run's keys from an old one.
   */
  keySalt?: string;
  /** The run's services (a PostgreSQL server): each case gets fresh databases. */
  services?: RunningServices;
  /** The scenario's state probes (`state:`): the target's own rows and files, read before and after each case. */
  probes?: readonly StateProbe[];
}

/** A case as it ran: its rows, the settle window's report, late requests, and the harness's scheduling noise meanwhile (ms, see startNoiseMeter). */
export interface ExecuteOptions {
  /** Send the replay only once the target has gone quiet (see quiet-replay.ts). */
  quietReplay?: boolean;
}

export type ExecutedCase = CaseRows & {
  settle?: SettleReport;
  late: readonly number[];
  schedulingNoiseMs: number;
  refused: readonly Refusal[];
  /** Set when this case's settle window overlapped another case and a request could be either's (see overlap.ts): these rows are no verdict's. */
  overlapConflict?: string;
};

/**
 * Runs one case: fresh upstream state and a fresh case folder, the caller's
 * sequence against the faulted upstreams, the settle window (the upstreams stay
 * open until the target has gone quiet, so what it sends after its last answer
 * is the case's own), then the rows into the ledger and the checks over what
 * the ledger holds.
 *
 * The case takes over its upstreams at its first invocation, not before:
 * whatever arrives until then (a previous case's late work, while this case's
 * API restarts) is a stray of the lane (see strays.ts), never this case's
 * request #1.
 */
export async function executeCase(
  env: CaseEnvironment,
  id: string,
  kind: CaseRecord['kind'],
  schedule: Schedule,
  turn?: LaneTurn,
  options: ExecuteOptions = {},
): Promise<ExecutedCase> {
  // A lane whose cases overlap: wait for the lane (and, when this case runs on its own, for every open window to close).
  const unlock = turn ? await turn.overlap.acquire() : () => undefined;
  try {
    if (turn && (turn.alone || !turn.overlap.active)) await turn.overlap.quiet();
    return await executeOnLane(env, id, kind, schedule, turn, unlock, options);
  } finally {
    unlock();
  }
}

async function executeOnLane(
  env: CaseEnvironment,
  id: string,
  kind: CaseRecord['kind'],
  schedule: Schedule,
  turn: LaneTurn | undefined,
  unlock: () => void,
  options: ExecuteOptions,
): Promise<ExecutedCase> {
  const { scenario, upstreams } = env;
  const operation = scenario.operations.find((op) => op.name === schedule.operation);
  if (!operation) throw new Error(`schedule names unknown operation "${schedule.operation}"`);
  const recorder = new CaseRecorder(id, operation.name);
  const noise = startNoiseMeter();
  const settings = settleSettings(scenario);
  recorder.quietMs = settings.quietMs;
  // The uuids the caller hands the target are its data (a customer to charge), not generated ids: fingerprints keep them.
  recorder.noteCallerData([operation, scenario.target]);
  const live = new Map<number, RunningInvocation>();
  const caseDir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-case-'));
  let services: CaseServices | undefined;
  const cleanUp = async (): Promise<void> => {
    rmSync(caseDir, { recursive: true, force: true });
    await services?.end();
  };
  try {
    services = await env.services?.beginCase(id, { faults: schedule.faults, onCommit: (service, event) => recordCommit(recorder, service, event, schedule) });
    await env.target.beginCase?.(caseDir);
  } catch (error) {
    await cleanUp();
    throw error;
  }
  const probes = env.probes ?? [];
  const probeWhere = async (): Promise<ProbeWhere> => {
    const located = await env.target.stateLocation?.();
    return { values: probeValues(located?.caseDir ?? caseDir, upstreams.urls, services?.values), baseUrl: located?.baseUrl };
  };
  let stateBefore: StateSnapshot = [];
  try {
    if (probes.length > 0) stateBefore = await readState(scenario, probes, await probeWhere());
  } catch (error) {
    await cleanUp();
    throw error;
  }
  const keyCase = `${id}${env.keySalt ?? ''}`;
  const ownDigest = callerKeyDigest(scenario.name, keyCase);
  /** Why this case's requests could not all be told from the next (or the previous) case's: it runs again on its own. */
  let conflict: string | undefined;
  const sessions: UpstreamSession[] = [];
  let begun = false;
  const begin = (): void => {
    if (begun) return;
    begun = true;
    upstreams.strays?.caseBegins();
    // Refused before the case began: not this case's doing.
    upstreams.proxy?.refusals.drain();
    for (const pipeline of upstreams.pipelines) {
      const session: UpstreamSession = {
        faults: schedule.faults.filter((binding) => binding.upstream === pipeline.name),
        recorder,
        crashTarget: () => live.forEach((invocation) => invocation.crash()),
        restartTarget: () => env.target.restartBeforeNextInvocation?.(),
        ownsKey: (key) => {
          const digest = digestOfCallerKey(key);
          return digest === undefined ? undefined : digest === ownDigest;
        },
        overlapConflict: (why) => {
          conflict ??= why;
          turn?.overlap.disable();
        },
      };
      sessions.push(session);
      pipeline.beginCase(session);
    }
  };
  const inFlight = (): number => upstreams.pipelines.reduce((sum, pipeline, i) => sum + (sessions[i] ? pipeline.inFlight(sessions[i]) : 0), 0);
  let closeWindow: (() => void) | undefined;
  let settle: SettleReport | undefined;
  try {
    const context = { scenario, operation, urls: upstreams.urls, caseDir, services: services?.values, recorder, live, doors: upstreams.doors, proxy: upstreams.proxy };
    await playOperation(schedule.caller, {
      invoke: async (role, key, seq, variant) => {
        // After an interrupt the caller must not start the retry the interrupt just caused.
        throwIfInterrupted(env.signal);
        begin();
        // The replay after the target has gone quiet, so the earlier invocation's late work cannot fall into it (quiet-replay.ts).
        if (options.quietReplay && role === 'replay') await settleWindow(inFlight, recorder, settings, env.signal);
        return env.target.invoke(context, kind === 'baseline' ? 'baseline' : role, key, seq, variant ?? {});
      },
      keyFor: (n) => callerKey(scenario.name, keyCase, n),
      outcomeOf: (invocation) => invocationOutcome(invocation, scenario.exitCodes),
    });
    recorder.beginSettling();
    if (begun && turn && !turn.alone && turn.overlap.active && conflict === undefined) {
      // At most maxSettling cases settle while the next runs: with that many open, the oldest must close first.
      await turn.overlap.room();
      if (turn.overlap.active && conflict === undefined) {
        closeWindow = turn.overlap.handOver();
        for (const pipeline of upstreams.pipelines) pipeline.handOver();
        unlock();
        turn.release();
      }
    }
    if (begun) settle = await settleWindow(inFlight, recorder, settings, env.signal);
    // The target's own state, once it is quiet: what it added in this case are effects like an upstream's.
    if (probes.length > 0 && settle) recordStateEffects(recorder, probes, stateBefore, await readState(scenario, probes, await probeWhere()));
  } finally {
    // Cut short (an interrupt): let held answers finish delivering, so their rows say what the client saw.
    if (!settle) await Promise.all(upstreams.pipelines.map((pipeline, i) => (sessions[i] ? pipeline.settle(undefined, sessions[i]) : undefined)));
    upstreams.pipelines.forEach((pipeline, i) => {
      if (sessions[i]) pipeline.endCase(sessions[i]);
    });
    upstreams.strays?.caseEnded(id, operation.name);
    closeWindow?.();
    await cleanUp();
  }
  const refused = begun ? (upstreams.proxy?.refusals.drain() ?? []) : [];
  return Object.assign(recorder.finish(upstreams.traits), { settle, late: recorder.late, schedulingNoiseMs: noise.stop(), refused, overlapConflict: conflict });
}

/**
 * A COMMIT the target's database performed, as a request to the service in the
 * ledger (method SQL, path COMMIT): the systematic pass and the timeline see
 * it like an upstream request, and a fault bound to the service's Nth request
 * applies to its Nth COMMIT. Its effects are the state probe's rows.
 */
function recordCommit(recorder: CaseRecorder, service: string, event: CommitEvent, schedule: Schedule): void {
  const binding = schedule.faults.find((candidate) => candidate.upstream === service && (candidate.ordinal === event.ordinal || (candidate.andAfter === true && event.ordinal >= candidate.ordinal)));
  const row = recorder.startRequest({
    upstream: service,
    ordinal: event.ordinal,
    method: 'SQL',
    path: 'COMMIT',
    route: 'SQL COMMIT',
    idempotencyKey: null,
    body: '',
    bodyFingerprint: '',
    fault: event.fault === 'none' ? 'none' : (binding?.fault ?? 'none'),
    committed: true,
    outcome: 'recorded-nothing',
    delivery: event.delivery,
    upstreamStatus: null,
    clientStatus: null,
  });
  row.endedMs = row.startedMs;
}

/** What a state probe's templates may name: the case's folder and the upstreams' URLs. */
function probeValues(caseDir: string, urls: ReadonlyMap<string, string>, services: ReadonlyMap<string, string> = new Map()): Map<string, string> {
  const values = new Map<string, string>([['case.dir', caseDir], ...services]);
  for (const [name, url] of urls) values.set(`upstreams.${name}.url`, url);
  return values;
}

/** Runs a faulted case and judges it. */
export async function runCase(
  env: CaseEnvironment,
  id: string,
  kind: CaseResult['kind'],
  schedule: Schedule,
  baseline: Baseline,
  turn?: LaneTurn,
): Promise<CaseResult> {
  const started = performance.now();
  let rows = await executeCase(env, id, kind, schedule, turn);
  let overlapNote: string | undefined;
  if (rows.overlapConflict !== undefined && turn) {
    // Its requests could not all be told from a neighbour's: run it again on its own, with keys of its own.
    overlapNote = `run again on its own: its settle window overlapped another case's, and ${rows.overlapConflict} came that could have been either case's (the first run's rows were set aside; this lane no longer overlaps cases)`;
    throwIfInterrupted(env.signal);
    rows = await executeCase({ ...env, keySalt: `${env.keySalt ?? ''}#alone` }, id, kind, schedule, { ...turn, alone: true });
  }
  // A case whose target was killed by an interrupt, not by a fault, is dropped unjudged.
  throwIfInterrupted(env.signal);
  const { scenario, upstreams, ledger } = env;
  let stored: CaseRows = rows;
  const judge = (fromLedger: CaseRows, names: readonly CheckName[], schedulingNoiseMs: number): CheckResult[] =>
    names.map((name): CheckResult =>
      CHECKS[name].evaluate({
        operation: schedule.operation,
        schedule,
        rows: fromLedger,
        baseline,
        exitCodes: scenario.exitCodes,
        traits: upstreams.traits,
        scenario: checkScenarioOf(scenario),
        timing: { schedulingNoiseMs },
      }),
    );
  let checks = ledger.recordCase({ id, operation: schedule.operation, kind, scheduleJson: JSON.stringify(schedule) }, rows, (fromLedger) => {
    stored = fromLedger;
    return judge(fromLedger, scenario.checks, rows.schedulingNoiseMs);
  });
  checks = await confirmTimingFailures(id, checks, async (confirmId, names) => {
    const again = await executeCase(env, confirmId, kind, schedule, turn && { ...turn, alone: true });
    throwIfInterrupted(env.signal);
    return ledger.recordCase({ id: confirmId, operation: schedule.operation, kind, scheduleJson: JSON.stringify(schedule) }, again, (fromLedger) => judge(fromLedger, names, again.schedulingNoiseMs));
  }, (check) => ledger.amendCheck(id, check.check, check.status, check.message), rows.schedulingNoiseMs);
  if (scenario.target.kind === 'http' && settleSettings(scenario).quietMs > 0) {
    checks = await confirmReplayFailure(id, checks, async (confirmId) => {
      const again = await executeCase(env, confirmId, kind, schedule, turn && { ...turn, alone: true }, { quietReplay: true });
      throwIfInterrupted(env.signal);
      return ledger.recordCase({ id: confirmId, operation: schedule.operation, kind, scheduleJson: JSON.stringify(schedule) }, again, (fromLedger) => judge(fromLedger, ['replay-commits-nothing'], again.schedulingNoiseMs));
    }, (check) => ledger.amendCheck(id, check.check, check.status, check.message));
  }
  const outcome = operationOutcome(stored.invocations, scenario.exitCodes);
  const faults = faultApplications(schedule, stored);
  const unreached = faults
    .filter((application) => application.requestId === null)
    .map(({ binding }) => `fault not reached: the case made no request ${binding.ordinal}${binding.route ? ` to ${binding.route}` : ''} to ${binding.upstream}, so ${binding.fault} never applied`);
  return {
    id,
    kind,
    operation: schedule.operation,
    schedule,
    scheduleText: describeSchedule(schedule, new Set(Object.keys(scenario.services ?? {}))),
    outcomeText: describeOutcome(stored, baseline, outcome, upstreams.traits),
    faults,
    checks,
    verdict: checks.some((check) => check.status === 'fail') ? 'fail' : 'pass',
    notes: [...(overlapNote ? [overlapNote] : []), ...unreached, ...constructionNotes(stored, outcome, upstreams.traits), ...settleNotes(rows, stored), ...[describeRefusals(rows.refused)].filter((note) => note !== undefined)],
    invocations: stored.invocations.length,
    requests: stored.requests.length,
    requestsTo: stored.requests.reduce<Record<string, number>>((counts, request) => {
      counts[request.upstream] = (counts[request.upstream] ?? 0) + 1;
      return counts;
    }, {}),
    effects: stored.effects.length,
    durationMs: Math.round(performance.now() - started),
  };
}

function faultApplications(schedule: Schedule, rows: CaseRows): FaultApplication[] {
  return schedule.faults.map((binding) => {
    const toUpstream = rows.requests.filter((request) => request.upstream === binding.upstream);
    const candidates = binding.route === undefined
      ? toUpstream
      : toUpstream.filter((request) => `${request.method} ${request.path.split('?')[0]}` === binding.route);
    const hit = candidates[binding.ordinal - 1];
    return { binding, requestId: hit && hit.fault === binding.fault ? hit.id : null };
  });
}

/** What the settle window caught, and whether it had to close before the target was quiet. */
function settleNotes(executed: ExecutedCase, rows: CaseRows): string[] {
  const notes: string[] = [];
  const late = rows.requests.filter((request) => executed.late.includes(request.id));
  if (late.length > 0) {
    const lastAnswer = Math.max(0, ...rows.invocations.map((invocation) => invocation.startedMs + invocation.durationMs));
    const list = late
      .slice(0, 3)
      .map((request) => `${request.method} ${request.path.split('?')[0]} to ${request.upstream} ${Math.max(0, request.startedMs - lastAnswer)} ms after it${request.committed ? ' (committed)' : ''}${request.invocationId === null ? ', attributed to no invocation (the last one started before the target had gone quiet, so it may be an earlier one\'s work)' : `, counted as invocation ${request.invocationId}'s`}`)
      .join('; ');
    notes.push(`late request${late.length === 1 ? '' : 's'}: ${late.length} request${late.length === 1 ? '' : 's'} came after the target's last answer, while the settle window kept the upstreams open: ${list}${late.length > 3 ? `; and ${late.length - 3} more` : ''}`);
  }
  const settle = executed.settle;
  if (settle && !settle.quiet) {
    notes.push(
      `the settle window closed at its cap (settle.maxMs ${settle.maxMs} ms) before the target was quiet for ${settle.quietMs} ms${settle.inFlight > 0 ? ` (${settle.inFlight} request${settle.inFlight === 1 ? '' : 's'} still in flight)` : ''}: what it sent later counts in no case (a stray)`,
    );
  }
  return notes;
}
