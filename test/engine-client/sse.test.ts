import { describe, expect, it } from 'vitest';

import { parseSse, type SseEvent } from '../../layers/engine-client/index.js';

/** Feeds `bytes` in chunks of `size` bytes and collects the events. */
async function parseInChunks(bytes: Uint8Array, size: number): Promise<SseEvent[]> {
  async function* chunks() {
    for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
  }
  const events: SseEvent[] = [];
  for await (const event of parseSse(chunks())) events.push(event);
  return events;
}

const text =
  ': a comment line\r\n' +
  'event: token\r\ndata: {"text":"赋"}\r\n\r\n' +
  'event: token\ndata: {"text":"能🍵"}\n\n' +
  'data: first line\ndata: second line\n\n' +
  'event: done\ndata: {}';

const expected: SseEvent[] = [
  { event: 'token', data: '{"text":"赋"}' },
  { event: 'token', data: '{"text":"能🍵"}' },
  { event: 'message', data: 'first line\nsecond line' },
  { event: 'done', data: '{}' },
];

describe('Function: parseSse', () => {
  it.each([1, 2, 3, 7, 1024])(
    'gives the same events whatever the chunk size (%s bytes), CRLF and 4-byte characters included',
    async (size) => {
      expect(await parseInChunks(Buffer.from(text), size)).toEqual(expected);
    },
  );

  it('drops a byte-order mark at the start of the stream', async () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);

    expect(await parseInChunks(withBom, 2)).toEqual(expected);
  });

  it('skips blocks without data and keeps a value’s inner spaces', async () => {
    const events = await parseInChunks(Buffer.from('event: ping\n\ndata:  two spaces\n\n'), 4);

    expect(events).toEqual([{ event: 'message', data: ' two spaces' }]);
  });
});
