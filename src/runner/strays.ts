import type { CaseRows } from '../ledger/rows.js';
import type { UpstreamTraits } from '../upstream/model.js';
import type { UpstreamSession } from '../upstream/pipeline.js';
import { CaseRecorder } from './recorder.js';

/** Requests that arrived on a lane while none of its cases was running: counted in no case, recorded and reported. */
export interface StrayBatch {
  /** Their case id in the ledger: `<the case before them>/strays`. */
  id: string;
  /** The case that ran last on the lane before they came (whose late work they most likely are); null before the lane's first case. */
  after: string | null;
  /** The operation of that case ('' before the lane's first case). */
  operation: string;
  rows: CaseRows;
}

/**
 * A lane's strays. A case's upstreams stay open through its settle window, so
 * a request that comes later than that, or before the next case's first
 * invocation, belongs to no case: the pipelines serve it with the ended case's
 * state and no fault (a target that got its answer does not retry it into the
 * next case) and record it here. The run writes each batch to the ledger and
 * notes it in the report; no check counts it, so it can neither fail the case
 * it came after nor use up the next case's fault.
 */
export class StrayLog {
  private recorder: CaseRecorder;
  private after: string | null = null;
  private session: UpstreamSession;
  private readonly closed: StrayBatch[] = [];
  private reopened = 1;

  constructor(
    lane: string,
    private readonly traits: ReadonlyMap<string, UpstreamTraits>,
  ) {
    this.recorder = new CaseRecorder(`${lane}/strays`, '');
    this.session = this.sessionOf(this.recorder);
  }

  /** What the pipelines record a stray in, now. */
  current(): UpstreamSession {
    return this.session;
  }

  /** Case `caseId` starts its first invocation: what came since the last case ended is a batch of its own. */
  caseBegins(): void {
    this.close();
  }

  /** Case `caseId` ended (its settle window closed): from now on, requests are strays after it. */
  caseEnded(caseId: string, operation: string): void {
    this.close();
    this.after = caseId;
    this.recorder = new CaseRecorder(`${caseId}/strays`, operation);
    this.session = this.sessionOf(this.recorder);
  }

  /** The batches closed so far (and, with `all`, the open one), each given once. */
  drain(all = false): StrayBatch[] {
    if (all) this.close();
    return this.closed.splice(0);
  }

  private close(): void {
    if (this.recorder.requests.length > 0) {
      this.closed.push({ id: this.recorder.caseId, after: this.after, operation: this.recorder.operation, rows: this.recorder.finish(this.traits) });
      // Rare (a stray in flight as the next case began): the same place, a fresh id.
      this.recorder = new CaseRecorder(`${this.recorder.caseId.replace(/-\d+$/, '')}-${++this.reopened}`, this.recorder.operation);
      this.session = this.sessionOf(this.recorder);
    }
  }

  private sessionOf(recorder: CaseRecorder): UpstreamSession {
    return { faults: [], recorder, crashTarget: () => undefined };
  }
}

/** A stray batch in words, for the note on the case it came after (or before). */
export function describeStrays(batch: StrayBatch, where: 'after' | 'before'): string {
  const requests = batch.rows.requests;
  const committed = batch.rows.effects.length;
  const list = requests
    .slice(0, 3)
    .map((request) => `${request.method} ${request.path.split('?')[0]} to ${request.upstream}${request.committed ? ' (committed)' : ''}`)
    .join('; ');
  const more = requests.length > 3 ? `; and ${requests.length - 3} more` : '';
  const when = where === 'after' ? 'after this case ended (its settle window had closed)' : `before this case began${batch.after ? ` (after ${batch.after} ended on its lane)` : ''}`;
  return `stray request${requests.length === 1 ? '' : 's'}: ${requests.length} request${requests.length === 1 ? '' : 's'} reached the upstreams ${when}, while no case was running: ${list}${more}${committed ? `, ${committed} effect${committed === 1 ? '' : 's'} committed` : ''}; counted in no case, recorded in the ledger as case "${batch.id}" (raise settle.quietMs if the target works this long after its answers)`;
}
