// Bug zoo entries 31-32: effects inside the target (issue 17): its own SQLite rows and files, read by state probes.
import { describe } from 'vitest';
import { describeZooEntries, ZOO_SHARES } from './zoo-suite.js';

describe('the bug zoo: the target\'s own state', () => describeZooEntries(ZOO_SHARES.targetState));
