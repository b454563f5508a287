import type { OperationSpec } from '../scenario/schema.js';

/** The values templates may name, for one invocation. */
export function templateValues(
  context: { operation: OperationSpec; urls: ReadonlyMap<string, string>; caseDir: string; services?: ReadonlyMap<string, string> },
  key: string,
  input: OperationSpec['input'] = context.operation.input,
): Map<string, string> {
  const values = new Map<string, string>([
    ['key', key],
    ['operation', context.operation.name],
    ['case.dir', context.caseDir],
  ]);
  for (const [name, url] of context.urls) values.set(`upstreams.${name}.url`, url);
  for (const [name, value] of context.services ?? []) values.set(name, value);
  for (const [name, value] of Object.entries(input)) values.set(`input.${name}`, String(value));
  return values;
}
