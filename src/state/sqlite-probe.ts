import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { renderTemplate } from '../scenario/template.js';
import type { ProbeWhere, StateRow } from './probe.js';

/**
 * The rows of a query against the target's SQLite file, opened read-only (the
 * harness never writes the target's state). No file yet: the target stored
 * nothing, so no rows. Values a JSON body can hold: blobs as hex, bigints as text.
 */
export function readSqlite(spec: { file: string; query: string }, where: ProbeWhere): StateRow[] {
  const file = renderTemplate(spec.file, where.values);
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    // A target that has not created the table yet stored nothing: no rows, not an error.
    const rows = db.prepare(spec.query).all() as StateRow[];
    return rows.map(plainRow);
  } catch (error) {
    if (/no such table/i.test((error as Error).message)) return [];
    throw error;
  } finally {
    db.close();
  }
}

function plainRow(row: StateRow): StateRow {
  const plain: StateRow = {};
  for (const [column, value] of Object.entries(row)) {
    plain[column] = Buffer.isBuffer(value) ? value.toString('hex') : typeof value === 'bigint' ? value.toString() : value;
  }
  return plain;
}
