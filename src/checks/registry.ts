import type { Check } from './check.js';
import { concurrentSameKey } from './concurrent-same-key.js';
import { dryRunNoEffects } from './dry-run-no-effects.js';
import { effectField } from './effect-field.js';
import { exitCodes } from './exit-codes.js';
import { keyMismatchRejected } from './key-mismatch-rejected.js';
import { keyStableAcrossRetries } from './key-stable-across-retries.js';
import type { CheckName } from './names.js';
import { noDuplicateEffects } from './no-duplicate-effects.js';
import { noLostEffects } from './no-lost-effects.js';
import { noRetryOnPermanent } from './no-retry-on-permanent.js';
import { outcomeHonesty } from './outcome-honesty.js';
import { replayIsNoop } from './replay-is-noop.js';
import { retryPolicy } from './retry-policy.js';

export const CHECKS: Record<CheckName, Check> = {
  'no-duplicate-effects': noDuplicateEffects,
  'no-lost-effects': noLostEffects,
  'replay-is-noop': replayIsNoop,
  'exit-codes': exitCodes,
  'effect-field': effectField,
  'key-mismatch-rejected': keyMismatchRejected,
  'concurrent-same-key': concurrentSameKey,
  'dry-run-no-effects': dryRunNoEffects,
  'no-retry-on-permanent': noRetryOnPermanent,
  'retry-policy': retryPolicy,
  'key-stable-across-retries': keyStableAcrossRetries,
  'outcome-honesty': outcomeHonesty,
};
