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
  const client = new pg.Client({ connectionString: renderTemplate(spec.url, where.values) });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN READ ONLY');
    const result = await client.query(spec.query);
    return result.rows.map(plainRow);
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return []; // undefined_table
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function plainRow(row: Record<string, unknown>): StateRow {
  const plain: StateRow = {};
  for (const [column, value] of Object.entries(row)) {
    plain[column] = value instanceof Date ? value.toISOString() : Buffer.isBuffer(value) ? value.toString('hex') : value;
  }
  return plain;
}
