import type { Check } from './check.js';
import { effectField } from './effect-field.js';
import { exitCodes } from './exit-codes.js';
import type { CheckName } from './names.js';
import { noDuplicateEffects } from './no-duplicate-effects.js';
import { noLostEffects } from './no-lost-effects.js';
import { replayIsNoop } from './replay-is-noop.js';

export const CHECKS: Record<CheckName, Check> = {
  'no-duplicate-effects': noDuplicateEffects,
  'no-lost-effects': noLostEffects,
  'replay-is-noop': replayIsNoop,
  'exit-codes': exitCodes,
  'effect-field': effectField,
};
