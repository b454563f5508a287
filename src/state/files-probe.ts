import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { renderTemplate } from '../scenario/template.js';
import type { ProbeWhere, StateRow } from './probe.js';

/** Files larger than this are compared by their digest, not their text. */
const MAX_TEXT_BYTES = 64 * 1024;

/**
 * The files under a folder that match a glob, each as a row: its path
 * relative to the folder and its content (text, or a digest for binary or
 * large files). A half-written file differs from the clean run's in content.
 */
export function readFiles(spec: { dir: string; glob: string }, where: ProbeWhere): StateRow[] {
  const dir = renderTemplate(spec.dir, where.values);
  if (!existsSync(dir)) return [];
  const matches = picomatch(spec.glob, { dot: false });
  const rows: StateRow[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath ?? entry.path, entry.name);
    const relative = path.relative(dir, full).split(path.sep).join('/');
    if (!matches(relative)) continue;
    rows.push({ path: relative, ...contentOf(readFileSync(full)) });
  }
  return rows.sort((a, b) => String(a.path).localeCompare(String(b.path)));
}

function contentOf(bytes: Buffer): StateRow {
  const text = bytes.toString('utf8');
  const isText = bytes.length <= MAX_TEXT_BYTES && !text.includes('\uFFFD') && !text.includes('\0');
  if (!isText) return { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  // A JSON file is compared as data, so its generated ids and timestamps are left out like a body's.
  try {
    return { content: JSON.parse(text) as unknown };
  } catch {
    return { content: text };
  }
}
