// Bug zoo entries 27-30 (issue 13, classes 8-11): a back-off judged on a loaded machine, the messages of the
// concurrency probe, a key made once per run, and a retry bound nobody chose.
import { describe } from 'vitest';
import { describeZooEntries, ZOO_SHARES } from './zoo-suite.js';

describe('the bug zoo: timing and messages', () => describeZooEntries(ZOO_SHARES.timingAndMessages));
