// Bug zoo entries 21-22 (issue 13): a client that asks again at once about a key in flight, and an API whose key store a restart empties.
import { describe } from 'vitest';
import { describeZooEntries, ZOO_SHARES } from './zoo-suite.js';

describe('the bug zoo: waits and restarts', () => describeZooEntries(ZOO_SHARES.waitsAndRestarts));
