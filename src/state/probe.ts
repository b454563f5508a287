import type { StateProbeSpec } from '../scenario/schema.js';

/**
 * A state probe as the runner uses it: reads the rows of the target's own
 * state that count as effects (database rows, files, an API's list). Each row
 * is a JSON object; the runner records each as an effect, compared with the
 * clean run's like an upstream's (issue 17).
 */
export interface StateProbe {
  /** Where the rows live, as effects name their upstream: "db", "files", "api". */
  readonly source: string;
  /** The probe's name, as effects name their route: "orders". */
  readonly name: string;
  readonly spec: StateProbeSpec;
  /** The rows now. `values` renders the probe's templates ({{case.dir}}...); `baseUrl` is the API under test's (http targets). */
  read(where: ProbeWhere): Promise<StateRow[]>;
}

export interface ProbeWhere {
  values: ReadonlyMap<string, string>;
  baseUrl?: string;
}

/** One row (or file) as plain JSON data. */
export type StateRow = Record<string, unknown>;

/** The effect "upstream" of each kind of probe: a report says "2 order rows on db orders". */
export const STATE_SOURCES: Record<StateProbeSpec['kind'], string> = {
  sqlite: 'db',
  files: 'files',
  http: 'api',
  postgres: 'db',
};

/** What one row of each kind is called when the probe names no noun. */
export const DEFAULT_NOUNS: Record<StateProbeSpec['kind'], string> = {
  sqlite: 'row',
  files: 'file',
  http: 'item',
  postgres: 'row',
};
