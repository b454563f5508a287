import pg from 'pg';
import { renderTemplate } from '../scenario/template.js';
import type { ProbeWhere, StateRow } from './probe.js';

/**
 * The rows of a query against a PostgreSQL database, in a read-only
 * transaction (the harness never writes the target's state). A table the
 * target has not created yet holds no rows. Values a JSON body can hold:
 * dates as ISO text, bytes as hex (pg already gives bigints and numerics as text).
 */
export async function readPostgres(spec: { url: string; query: string }, where: ProbeWhere): Promise<StateRow[]> {
  const client = await connection(renderTemplate(spec.url, where.values));
  try {
    await client.query('BEGIN READ ONLY');
    const result = await client.query(spec.query);
    return result.rows.map(plainRow);
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return []; // undefined_table
    throw error;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

/**
 * One connection per database, kept for the case's second read (a new
 * PostgreSQL connection forks a server process: most of a read's cost). A
 * case's database is dropped WITH (FORCE) when it ends, which ends its
 * connection here; closePostgresProbes ends the rest when the run ends.
 */
const connections = new Map<string, Promise<pg.Client>>();

function connection(url: string): Promise<pg.Client> {
  let client = connections.get(url);
  if (!client) {
    const created = new pg.Client({ connectionString: url });
    const forget = (): void => {
      if (connections.get(url) === client) connections.delete(url);
    };
    created.on('error', forget);
    created.on('end', forget);
    client = created.connect().then(() => created);
    client.catch(forget);
    connections.set(url, client);
  }
  return client;
}

/** Ends every probe connection (the run is over). */
export async function closePostgresProbes(): Promise<void> {
  const open = [...connections.values()];
  connections.clear();
  await Promise.all(open.map((client) => client.then((c) => c.end()).catch(() => undefined)));
}

function plainRow(row: Record<string, unknown>): StateRow {
  const plain: StateRow = {};
  for (const [column, value] of Object.entries(row)) {
    plain[column] = value instanceof Date ? value.toISOString() : Buffer.isBuffer(value) ? value.toString('hex') : value;
  }
  return plain;
}
