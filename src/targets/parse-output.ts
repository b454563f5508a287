/**
 * Reads a target's stdout as JSON where it is JSON: the whole output, or else
 * its last non-empty line (many tools log first and print their result last).
 * Anything else is kept raw and yields no JSON.
 */
export function parseJsonOutput(stdout: string): unknown {
  const whole = tryParse(stdout.trim());
  if (whole !== undefined) return whole;
  const lines = stdout.split('\n').map((line) => line.trim()).filter(Boolean);
  const last = lines.at(-1);
  return last === undefined ? undefined : tryParse(last);
}

function tryParse(text: string): unknown {
  if (!text || !/^[[{]/.test(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The `effect` field of a JSON object output, if there is one and it is a string. */
export function effectOf(json: unknown): string | null {
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    const effect = (json as Record<string, unknown>).effect;
    if (typeof effect === 'string') return effect;
  }
  return null;
}
