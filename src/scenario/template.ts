/**
 * `{{upstreams.payments.url}}`-style templates. Validated when a scenario is
 * loaded (so a typo is a clear exit 2, not a confusing run) and rendered per
 * invocation.
 */
const TEMPLATE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The names a template may refer to, besides `upstreams.NAME.url` and `input.NAME`. */
export const PLAIN_TEMPLATE_NAMES = ['key', 'operation', 'case.dir'] as const;

export function templateReferences(text: string): string[] {
  return [...text.matchAll(TEMPLATE)].map((match) => match[1] ?? '');
}

/** Why a reference cannot be resolved, or undefined when it can. */
export function unresolvedReason(
  reference: string,
  known: { upstreams: string[]; inputs: string[]; services?: string[] },
): string | undefined {
  if ((PLAIN_TEMPLATE_NAMES as readonly string[]).includes(reference)) return undefined;
  const service = /^services\.([^.]+)\.url$/.exec(reference);
  if (service) {
    return (known.services ?? []).includes(service[1]!)
      ? undefined
      : `unknown service "${service[1]}" in {{${reference}}}; declared services: ${(known.services ?? []).join(', ') || 'none (declare one under services:, e.g. db: {kind: postgres})'}`;
  }
  const upstream = /^upstreams\.([^.]+)\.url$/.exec(reference);
  if (upstream) {
    return known.upstreams.includes(upstream[1]!)
      ? undefined
      : `unknown upstream "${upstream[1]}" in {{${reference}}}; declared upstreams: ${known.upstreams.join(', ') || 'none'}`;
  }
  const input = /^input\.(.+)$/.exec(reference);
  if (input) {
    return known.inputs.includes(input[1]!)
      ? undefined
      : `unknown input "${input[1]}" in {{${reference}}}; this operation's inputs: ${known.inputs.join(', ') || 'none'}`;
  }
  return `unknown template {{${reference}}}; use {{upstreams.NAME.url}}, {{services.NAME.url}}, {{input.NAME}}, {{key}}, {{operation}} or {{case.dir}}`;
}

/** Replaces every template in `text`; `values` must hold every reference (validated earlier). */
export function renderTemplate(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(TEMPLATE, (_whole, reference: string) => {
    const value = values.get(reference);
    if (value === undefined) throw new Error(`template {{${reference}}} has no value (scenario validation missed it)`);
    return value;
  });
}
