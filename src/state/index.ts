import type { StateProbeSpec } from '../scenario/schema.js';
import type { UpstreamTraits } from '../upstream/model.js';
import { readFiles } from './files-probe.js';
import { readHttp } from './http-probe.js';
import { DEFAULT_NOUNS, STATE_SOURCES, type ProbeWhere, type StateProbe, type StateRow } from './probe.js';
import { readSqlite } from './sqlite-probe.js';
import { readPostgres } from './postgres-probe.js';

export type { ProbeWhere, StateProbe, StateRow } from './probe.js';
export { STATE_SOURCES } from './probe.js';

/** The scenario's state probes, ready to read. */
export function stateProbes(specs: readonly StateProbeSpec[]): StateProbe[] {
  return specs.map((spec) => ({ source: STATE_SOURCES[spec.kind], name: spec.name, spec, read: (where: ProbeWhere) => readProbe(spec, where) }));
}

async function readProbe(spec: StateProbeSpec, where: ProbeWhere): Promise<StateRow[]> {
  switch (spec.kind) {
    case 'sqlite':
      return readSqlite(spec, where);
    case 'files':
      return readFiles(spec, where);
    case 'http':
      return readHttp(spec, where);
    case 'postgres':
      return readPostgres(spec, where);
  }
}

/**
 * The traits of the state sources, as an upstream of several routes each (one
 * route per probe): what the checks call a row, and the fields they leave out.
 * The target's own state neither deduplicates nor is looked up by the harness.
 */
export function stateTraits(specs: readonly StateProbeSpec[]): Map<string, UpstreamTraits> {
  const traits = new Map<string, UpstreamTraits>();
  for (const spec of specs) {
    const source = STATE_SOURCES[spec.kind];
    const own: UpstreamTraits = { deduplicates: true, lookup: true, noun: spec.noun ?? DEFAULT_NOUNS[spec.kind], ignoreFields: spec.ignoreFields };
    const entry = traits.get(source) ?? { deduplicates: true, lookup: true, noun: DEFAULT_NOUNS[spec.kind], ignoreFields: [], routes: [] };
    traits.set(source, { ...entry, routes: [...(entry.routes ?? []), { path: `/${spec.name}`, traits: own }] });
  }
  return traits;
}
