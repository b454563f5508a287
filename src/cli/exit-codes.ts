/** The CLI's exit statuses (DESIGN.md: Running). */
export const EXIT = {
  /** Every check held (or failed exactly as the scenario expects). */
  ok: 0,
  /** A check failed. */
  checkFailed: 1,
  /** Bad input or configuration. */
  badInput: 2,
} as const;
