import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/**
 * Commands and paths as the user can type them from where they stand: the
 * reports print a replay command for every failed case, and one that does not
 * work when pasted (an absolute path of another machine, a `retryproof` that is
 * only in node_modules/.bin) costs the user time.
 */

let invocation: string | undefined;

/** `retryproof` when it is on PATH, else `npx retryproof` (installed in the project only). */
export function cliInvocation(): string {
  invocation ??= onPath('retryproof') ? 'retryproof' : 'npx retryproof';
  return invocation;
}

function onPath(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** A path relative to the working directory when it lies below it, else absolute. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : path.resolve(file);
}

/** The one command that runs a recorded case again. */
export function replayCommand(runDir: string, caseId: string): string {
  return `${cliInvocation()} replay ${shellWord(path.join(displayPath(runDir), 'report.json'))} --case ${shellWord(caseId)}`;
}

/** A word the shell reads back unchanged: as is when it is plain, else in single quotes. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./#-]+$/.test(word) && !word.startsWith('#') ? word : `'${word.replace(/'/g, "'\\''")}'`;
}
