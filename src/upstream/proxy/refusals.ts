/** A connection or request the forward proxy refused: its host is no upstream's. */
export interface Refusal {
  host: string;
  port: number;
  /** `CONNECT` for a tunnel (https), else the plain request's method. */
  method: string;
}

/**
 * What the forward proxy refused since it was last drained. A case drains it
 * at its start and end, and names each host in a note: the harness never
 * reaches the outside, and a target that tried must hear why it failed.
 */
export class RefusalLog {
  private refused: Refusal[] = [];

  add(refusal: Refusal): void {
    this.refused.push(refusal);
  }

  drain(): Refusal[] {
    return this.refused.splice(0);
  }
}

/** The words a target gets back, and a case's note repeats: which host, and the fix. */
export function refusalMessage(host: string): string {
  return `retryproof: refused ${host}: no upstream of the scenario declares this host, and the harness never reaches the outside (declare it on an upstream, e.g. host: ${host}, if it is a service to mock)`;
}

/** Refusals in one note, for a case or a failed clean run. */
export function describeRefusals(refusals: readonly Refusal[]): string | undefined {
  if (refusals.length === 0) return undefined;
  const counts = new Map<string, number>();
  for (const { host, port, method } of refusals) {
    const what = `${method === 'CONNECT' ? 'CONNECT' : method} ${host}:${port}`;
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  const list = [...counts].map(([what, n]) => (n > 1 ? `${what} (${n} times)` : what)).join(', ');
  const hosts = [...new Set(refusals.map((refusal) => refusal.host))];
  return `undeclared host${hosts.length === 1 ? '' : 's'} refused: the target tried ${hosts.join(', ')} through the harness's proxy (${list}); no upstream declares ${hosts.length === 1 ? 'it' : 'them'}, so nothing was sent outside (declare it on an upstream with host: if it is a service to mock)`;
}
