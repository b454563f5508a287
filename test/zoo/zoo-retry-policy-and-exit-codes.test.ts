// Bug zoo entries 08-13 and 20: what a tool retries and how long, what its exit code and effect say, and what an API does after its answer (command targets are quick; 20 is an HTTP API, here to keep the zoo files balanced).
import { describe } from 'vitest';
import { describeZooEntries, ZOO_SHARES } from './zoo-suite.js';

describe('the bug zoo: retry policy and exit codes', () => describeZooEntries(ZOO_SHARES.retryPolicyAndExitCodes));
