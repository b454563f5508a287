import type { InvocationVariant } from '../caller/caller.js';
import type { InvocationRole, InvocationRow } from '../ledger/rows.js';
import type { Scenario } from '../scenario/load.js';
import type { OperationSpec } from '../scenario/schema.js';
import type { RunningInvocation } from '../targets/target.js';
import type { CaseRecorder } from './recorder.js';
import type { InvocationDoors, RunningUpstreams, TargetProxy } from './upstreams.js';

/** What a target needs to run one invocation inside a case. */
export interface CaseInvokeContext {
  scenario: Scenario;
  operation: OperationSpec;
  urls: ReadonlyMap<string, string>;
  /** A fresh folder per case, for {{case.dir}}. */
  caseDir: string;
  /** The case's own databases: `services.NAME.url` → URL. */
  services?: ReadonlyMap<string, string>;
  recorder: CaseRecorder;
  /** Invocations running now, so a crash fault can kill them. */
  live: Map<number, RunningInvocation>;
  /** Loopback upstreams only: URLs of an invocation's own, so its requests are attributed to it. */
  doors?: InvocationDoors;
  /** Proxy mode: the forward proxy the target's traffic is sent through. */
  proxy?: TargetProxy;
}

/**
 * A target for the length of a run: command, http and module targets each
 * implement this one interface. A session may hold a started API server or an
 * imported module; `close` releases everything it started.
 */
export interface TargetSession {
  /** Called before each case (e.g. to restart an http target per case). */
  beginCase?(caseDir: string): Promise<void>;
  invoke(context: CaseInvokeContext, role: InvocationRole, key: string, seq: number, variant: InvocationVariant): Promise<InvocationRow>;
  close(): Promise<void>;
  /**
   * A restart fault fired: stop the target's process gracefully and start it
   * again before the next invocation of this case (http targets with `start`).
   */
  restartBeforeNextInvocation?(): void;
  /**
   * http targets: where a state probe finds the API under test's state: its
   * base URL (started again if a crash fault killed it) and the folder its
   * {{case.dir}} rendered to (the case's with restart: per-case, else one for the run).
   */
  stateLocation?(): Promise<{ baseUrl: string; caseDir?: string }>;
  /** Faults this kind of target cannot experience, with the reason, for the report. */
  readonly unsupportedFaults: ReadonlyMap<string, string>;
}

export async function startTargetSession(scenario: Scenario, upstreams: RunningUpstreams): Promise<TargetSession> {
  switch (scenario.target.kind) {
    case 'command': {
      const { commandSession } = await import('./command-session.js');
      return commandSession();
    }
    case 'http': {
      const { startHttpSession } = await import('./http-session.js');
      return startHttpSession(scenario, upstreams);
    }
    case 'module': {
      const { moduleSession } = await import('./module-session.js');
      return moduleSession(scenario);
    }
    default:
      throw new Error(`target kind "${(scenario.target as { kind: string }).kind}" has no session yet (upstreams: ${[...upstreams.urls.keys()].join(', ')})`);
  }
}
