// Bug zoo entries 01-07: idempotency keys (none, fresh per retry, not sent, from a timestamp), a racy key store, and local state saved at the wrong moment.
import { describe } from 'vitest';
import { describeZooEntries, ZOO_SHARES } from './zoo-suite.js';

describe('the bug zoo: keys and state', () => describeZooEntries(ZOO_SHARES.keysAndState));
