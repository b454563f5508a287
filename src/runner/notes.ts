import type { CaseRows } from '../ledger/rows.js';
import type { UpstreamTraits } from '../upstream/model.js';
import { traitsFor } from '../upstream/route-traits.js';
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
  // On a multi-route upstream, each route is judged by its own model: the mailer route, not the resource beside it.
  const unsafe = new Set<string>();
  for (const request of lost) {
    const trait = traitsFor(traits, request.upstream, request.route);
    if (!trait || trait.deduplicates || trait.lookup) continue;
    const route = traits.get(request.upstream)?.routes?.find((entry) => entry.traits === trait);
    unsafe.add(route ? `${request.upstream} ${route.path}` : request.upstream);
  }
  for (const where of unsafe) {
    notes.push(
      `unsafe by construction of the upstream: ${where} neither deduplicates nor offers a look-up, and the answer to a committed request was lost; no client can be exactly-once here (the best it can do is never send twice and report "unknown")`,
    );
  }
  return notes;
}
