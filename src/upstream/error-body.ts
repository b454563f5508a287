import type { ErrorBody } from '../faults/fault.js';

/**
 * An upstream entry's `errorBody`: the JSON a fault's error answer carries on
 * that upstream, written as a template. A string that is exactly
 * `{{status}}` becomes the status as a number; elsewhere `{{status}}` and
 * `{{message}}` are replaced by the status and the fault's message:
 *
 *     errorBody: { error: { type: api_error, message: "{{message}}" }, status: "{{status}}" }
 */
export const ERROR_BODY_PLACEHOLDERS = ['status', 'message'] as const;

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WHOLE_STATUS = /^\{\{\s*status\s*\}\}$/;

/** The placeholders of a template that are neither status nor message, each once. */
export function unknownPlaceholders(template: unknown): string[] {
  const found = new Set<string>();
  walkStrings(template, (text) => {
    for (const match of text.matchAll(PLACEHOLDER)) {
      if (!(ERROR_BODY_PLACEHOLDERS as readonly string[]).includes(match[1]!)) found.add(match[1]!);
    }
  });
  return [...found];
}

export function errorBodyTemplate(template: unknown): ErrorBody {
  return (status, message) => fill(template, status, message);
}

function fill(value: unknown, status: number, message: string): unknown {
  if (typeof value === 'string') {
    if (WHOLE_STATUS.test(value)) return status;
    return value.replace(PLACEHOLDER, (whole, name: string) => (name === 'status' ? String(status) : name === 'message' ? message : whole));
  }
  if (Array.isArray(value)) return value.map((item) => fill(item, status, message));
  if (value && typeof value === 'object') {
    const filled: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // Defined, not assigned: a field named __proto__ stays a field.
      Object.defineProperty(filled, key, { value: fill(item, status, message), enumerable: true, writable: true, configurable: true });
    }
    return filled;
  }
  return value;
}

function walkStrings(value: unknown, visit: (text: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) value.forEach((item) => walkStrings(item, visit));
  else if (value && typeof value === 'object') Object.values(value).forEach((item) => walkStrings(item, visit));
}
