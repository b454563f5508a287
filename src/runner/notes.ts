import type { CaseRows } from '../ledger/rows.js';
import type { UpstreamTraits } from '../upstream/model.js';
import type { InvocationOutcome } from '../checks/outcome.js';

/**
 * Where an upstream neither deduplicates nor offers a look-up, no client can be
 * exactly-once after it loses the answer to a committed request. The harness
 * says so instead of blaming the client or hiding the fault.
 */
export function constructionNotes(
  rows: CaseRows,
  outcome: InvocationOutcome,
  traits: ReadonlyMap<string, UpstreamTraits>,
): string[] {
  if (outcome === 'success') return [];
  const notes: string[] = [];
  const lost = rows.requests.filter(
    (request) => request.committed && (request.delivery !== 'response' || (request.clientStatus ?? 0) >= 500),
  );
  for (const upstream of new Set(lost.map((request) => request.upstream))) {
    const trait = traits.get(upstream);
    if (!trait || trait.deduplicates || trait.lookup) continue;
    notes.push(
      `unsafe by construction of the upstream: ${upstream} neither deduplicates nor offers a look-up, and the answer to a committed request was lost; no client can be exactly-once here (the best it can do is never send twice and report "unknown")`,
    );
  }
  return notes;
}
