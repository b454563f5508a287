/**
 * Thrown inside a run when it was interrupted (SIGINT/SIGTERM): the case in
 * flight is dropped, not judged, because its target was killed by the
 * interrupt rather than by a fault.
 */
export class Interrupted extends Error {
  constructor(readonly reason: string) {
    super(`interrupted by ${reason}`);
    this.name = 'Interrupted';
  }
}

export function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Interrupted(String(signal.reason ?? 'abort'));
}
