import { createHash } from 'node:crypto';

/**
 * Text from a target (stdout, bodies, keys) and from a scenario goes into the
 * report only through these: a target that prints `<script>` shows the
 * characters, never runs them.
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML element's content or a quoted attribute value. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/[&<>"']/g, (char) => ENTITIES[char]!)
    // C0 controls other than tab, newline and carriage return are not allowed in HTML text.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A tagged template that escapes every interpolated value unless it is `raw(...)` HTML built by this module. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0]!;
  values.forEach((value, index) => {
    out += render(value) + strings[index + 1]!;
  });
  return new Raw(out);
}

/** HTML that is already safe (built with `html`). */
export class Raw {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Marks markup built here as safe; never call it on data. */
export function raw(markup: string): Raw {
  return new Raw(markup);
}

function render(value: unknown): string {
  if (value instanceof Raw) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(value);
}

/**
 * An element id for a case id: letters, digits and dashes, plus a short hash
 * so that ids differing only in punctuation (`#1` and `#1+`) stay apart.
 */
export function anchorId(prefix: string, id: string): string {
  const slug = id.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
  return `${prefix}-${slug}-${createHash('sha256').update(id).digest('hex').slice(0, 6)}`;
}
