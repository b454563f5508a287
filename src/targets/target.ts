/**
 * A target runs one invocation of an operation and reports what it observed.
 * Command, http and module targets each implement this one interface.
 */
export interface InvocationRequest {
  /** The operation's fully rendered arguments, environment, key... */
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

export interface Observation {
  exitCode: number | null;
  signal: string | null;
  killed: boolean;
  killReason: 'timeout' | 'crash' | null;
  stdout: string;
  stderr: string;
  stdoutJson: unknown;
  effect: string | null;
  outputTruncated: boolean;
  durationMs: number;
}

export interface RunningInvocation {
  /** Resolves once the invocation is over and all its processes are gone. */
  readonly done: Promise<Observation>;
  /** Kill it now (a crash fault): SIGKILL, no grace. */
  crash(): void;
}
