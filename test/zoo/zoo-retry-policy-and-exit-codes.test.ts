// Bug zoo entries 08-13: what a tool retries and how long, and what its exit code and effect say.
import { describe } from 'vitest';
import { describeZooEntries, ZOO_SHARES } from './zoo-suite.js';

describe('the bug zoo: retry policy and exit codes', () => describeZooEntries(ZOO_SHARES.retryPolicyAndExitCodes));
