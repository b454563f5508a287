import { faultNamed } from '../faults/registry.js';
import type { Schedule } from '../core/schedule.js';

const ORDINAL_WORDS = ['first', 'second', 'third', 'fourth', 'fifth'];
const COMMIT_FAULT_WORDS: Record<string, string> = { 'reset-after-commit': 'connection dropped after commit', 'timeout-after-commit': 'answer held after commit' };

/** A schedule in words: "request 1 to payments: timeout after commit; caller retries twice with the same key". */
export function describeSchedule(schedule: Schedule, databases: ReadonlySet<string> = new Set()): string {
  const faults = schedule.faults.length === 0
    ? ['no fault']
    : schedule.faults.map((binding) => {
        // A database service's requests are its COMMITs (src/services/pg-commit-proxy.ts).
        if (databases.has(binding.upstream)) return `COMMIT #${binding.ordinal}${binding.andAfter ? ' and every later one' : ''} to ${binding.upstream}: ${COMMIT_FAULT_WORDS[binding.fault] ?? `${binding.fault} (not a fault a database connection has: none applied)`}`;
        const which = `${binding.route ? `${binding.route} request` : 'request'} ${binding.ordinal}${binding.andAfter ? ' and every later one' : ''}`;
        return `${which} to ${binding.upstream}: ${faultNamed(binding.fault).words}`;
      });
  return [...faults, ...callerWords(schedule.caller)].join('; ');
}

/** What the caller does; a probe that replaces the retry sequence (src/caller/caller.ts) is named instead of it. */
function callerWords(caller: Schedule['caller']): string[] {
  if (caller.dryRun) return ['caller makes one dry run'];
  if (caller.omitKey) return ['caller sends no idempotency key'];
  if (caller.concurrent && caller.concurrent > 1) return [`caller runs ${caller.concurrent} invocations at once with one key`];
  const { retries, key, replay } = caller;
  const retryWords = retries === 0 ? 'caller does not retry' : `caller retries up to ${retries}× with ${key === 'same' ? 'the same key' : 'a fresh key each time'}`;
  return [retryWords, ...(replay ? ['replays once after success'] : []), ...(caller.mismatch ? ['then sends the same key with another payload'] : [])];
}

export function ordinalWord(n: number): string {
  return ORDINAL_WORDS[n - 1] ?? `#${n}`;
}
