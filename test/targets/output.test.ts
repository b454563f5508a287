import { Readable } from 'node:stream';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BoundedOutput } from '../../src/targets/bounded-output.js';
import { effectOf, parseJsonOutput } from '../../src/targets/parse-output.js';

describe('parseJsonOutput', () => {
  it.each([
    ['a whole JSON object', '{"effect":"created","id":1}', { effect: 'created', id: 1 }],
    ['pretty-printed JSON over several lines', '{\n  "effect": "noop",\n  "n": [1, 2]\n}\n', { effect: 'noop', n: [1, 2] }],
    ['a JSON array', '[1,2,3]\n', [1, 2, 3]],
    ['log lines, then JSON on the last line', 'connecting...\nretrying after 503\n{"effect":"created"}\n', { effect: 'created' }],
    ['the last line, with trailing blank lines and spaces', 'log\n  {"effect":"noop"}  \n\n\n', { effect: 'noop' }],
    ['CRLF line ends', 'log\r\n{"effect":"created"}\r\n', { effect: 'created' }],
  ])('parses %s', (_what, stdout, expected) => {
    expect(parseJsonOutput(stdout)).toEqual(expected);
  });

  it.each([
    ['plain text', 'order created: ch_1\n'],
    ['empty output', ''],
    ['only blank lines', '\n\n  \n'],
    ['JSON that is not on the last line', '{"effect":"created"}\ndone\n'],
    ['broken JSON', '{"effect": "created"\n'],
    ['a bare JSON scalar', '42\n'],
    ['a JSON string', '"created"\n'],
  ])('yields nothing for %s', (_what, stdout) => {
    expect(parseJsonOutput(stdout)).toBeUndefined();
  });
});

describe('effectOf', () => {
  it('reads a string effect from an object, and nothing else', () => {
    expect(effectOf({ effect: 'created' })).toBe('created');
    expect(effectOf({ effect: 3 })).toBeNull();
    expect(effectOf({})).toBeNull();
    expect(effectOf([{ effect: 'created' }])).toBeNull();
    expect(effectOf(null)).toBeNull();
    expect(effectOf(undefined)).toBeNull();
    expect(effectOf('created')).toBeNull();
  });
});

describe('BoundedOutput', () => {
  it('keeps exactly the first `limit` bytes, counts the rest and says it truncated', async () => {
    const chunks = [Buffer.from('abcd'), Buffer.from('efgh'), Buffer.from('ijkl')];
    const stream = Readable.from(chunks);
    const output = new BoundedOutput(stream, 6);
    await once(stream, 'end');
    expect(output.text()).toBe('abcdef');
    expect(output.total).toBe(12);
    expect(output.truncated).toBe(true);
  });

  it('keeps everything and is not truncated under the limit, also at exactly the limit', async () => {
    const stream = Readable.from([Buffer.from('abc'), Buffer.from('def')]);
    const output = new BoundedOutput(stream, 6);
    await once(stream, 'end');
    expect(output.text()).toBe('abcdef');
    expect(output.truncated).toBe(false);
  });
});
