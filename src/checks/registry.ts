import type { Check } from './check.js';
import { concurrentCommitsOnce } from './effects/concurrent-commits-once.js';
import { mismatchCommitsNothing } from './effects/mismatch-commits-nothing.js';
import { replayCommitsNothing } from './effects/replay-commits-nothing.js';
import { concurrentSameKey } from './contract/concurrent-same-key.js';
import { dryRunNoEffects } from './effects/dry-run-no-effects.js';
import { effectField } from './contract/effect-field.js';
import { exitCodes } from './contract/exit-codes.js';
import { keyMismatchRejected } from './contract/key-mismatch-rejected.js';
import { keyStableAcrossRetries } from './retry/key-stable-across-retries.js';
import type { CheckName } from '../core/check-names.js';
import { noDuplicateEffects } from './effects/no-duplicate-effects.js';
import { noLostEffects } from './effects/no-lost-effects.js';
import { noRetryOnPermanent } from './retry/no-retry-on-permanent.js';
import { outcomeHonesty } from './contract/outcome-honesty.js';
import { replayIsNoop } from './contract/replay-is-noop.js';
import { retryPolicy } from './retry/retry-policy.js';

export const CHECKS: Record<CheckName, Check> = {
  'no-duplicate-effects': noDuplicateEffects,
  'no-lost-effects': noLostEffects,
  'replay-commits-nothing': replayCommitsNothing,
  'mismatch-commits-nothing': mismatchCommitsNothing,
  'concurrent-commits-once': concurrentCommitsOnce,
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
