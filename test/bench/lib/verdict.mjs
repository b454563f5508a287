// The bench's exit status: 1 when a figure misses its target or a section
// failed, so `npm run bench` in CI goes red on a regression; 0 otherwise. A
// figure without a target (met null or undefined) is reported, never judged.

/**
 * @param {Array<{ figure: string, value?: unknown, target?: unknown, met?: boolean | null }>} rows
 * @param {boolean} failed a section threw, or left something open
 * @returns {{ code: 0 | 1, missed: string[] }} the exit status, and each missed figure in words
 */
export function benchVerdict(rows, failed) {
  const missed = rows.filter((row) => row.met === false).map((row) => `${row.figure}: ${row.value ?? '?'} (target ${row.target ?? '?'})`);
  return { code: failed || missed.length > 0 ? 1 : 0, missed };
}
