import type { OperationSpec } from '../scenario/schema.js';

type Input = OperationSpec['input'];

/**
 * The payload for the same-key-different-payload probe: the scenario's
 * `mismatchInput`, or else the operation's input with its first value changed
 * (a number plus one, a string with "-other", a boolean flipped). Undefined
 * when the operation has no input to change.
 */
export function mismatchInput(operation: OperationSpec): Input | undefined {
  if (operation.mismatchInput) return { ...operation.input, ...operation.mismatchInput };
  const first = Object.entries(operation.input)[0];
  if (!first) return undefined;
  const [name, value] = first;
  const changed = typeof value === 'number' ? value + 1 : typeof value === 'boolean' ? !value : `${value}-other`;
  return { ...operation.input, [name]: changed };
}
