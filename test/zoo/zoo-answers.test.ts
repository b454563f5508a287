// Bug zoo entries 14-19: dry runs, replays that name another resource, key stores that ignore the body, missing or dishonest effect fields.
import { describe } from 'vitest';
import { describeZooEntries, ZOO_SHARES } from './zoo-suite.js';

describe('the bug zoo: what the answers say', () => describeZooEntries(ZOO_SHARES.answers));
