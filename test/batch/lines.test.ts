import { describe, expect, it } from 'vitest';

import { splitLines, type InputLine } from '../../functions/batch/index.js';

async function* chunks(...parts: Array<string | Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
}

async function collect(source: AsyncIterable<Uint8Array>, options = {}): Promise<InputLine[]> {
  const lines: InputLine[] = [];
  for await (const line of splitLines(source, options)) lines.push(line);
  return lines;
}

function texts(lines: InputLine[]): string[] {
  return lines.flatMap((line) => (line.kind === 'text' ? [line.text] : []));
}

describe('Function: splitLines', () => {
  it('keeps two lines of CRLF input split between CR and LF, with blank lines as blank', async () => {
    // case 6: `L1\r\n\r\n   \r\nL2`, the stream cut between a `\r` and its `\n`
    const lines = await collect(chunks('L1\r', '\n\r\n   \r', '\nL2'));

    expect(lines.map((line) => line.kind)).toEqual(['text', 'blank', 'blank', 'text']);
    expect(texts(lines)).toEqual(['L1', 'L2']);
    expect(lines.map((line) => line.line)).toEqual([1, 2, 3, 4]);
    expect(lines.at(-1)?.endOffset).toBe(Buffer.byteLength('L1\r\n\r\n   \r\nL2'));
  });

  it('drops a leading byte-order mark, also when it is split across chunks', async () => {
    // case 5
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const lines = await collect(
      chunks(bom.subarray(0, 2), Buffer.concat([bom.subarray(2), Buffer.from('{"a":1}\n{"b":2}')])),
    );

    expect(texts(lines)).toEqual(['{"a":1}', '{"b":2}']);
    expect(texts(lines).some((text) => text.startsWith('\uFEFF'))).toBe(false);
  });

  it('decodes multi-byte characters split across chunks exactly', async () => {
    const bytes = Buffer.from('{"brand":"山茶"}\n{"brand":"冷泡乌龙"}\n', 'utf8');
    const pieces = Array.from(bytes, (byte) => Uint8Array.of(byte));

    const lines = await collect(chunks(...pieces));

    expect(texts(lines)).toEqual(['{"brand":"山茶"}', '{"brand":"冷泡乌龙"}']);
  });

  it('reports a line over the cap once, with its size, and goes on with the next line', async () => {
    // case 8 at small scale: the cap is 1 KiB, the line 9 KiB in 64-byte chunks
    const long = Array.from({ length: 144 }, () => 'x'.repeat(64));
    const lines = await collect(chunks(...long, '\n{"ok":true}\n'), { maxLineBytes: 1024 });

    expect(lines).toEqual([
      { kind: 'too_large', line: 1, bytes: 9216, endOffset: 9217 },
      { kind: 'text', line: 2, text: '{"ok":true}', endOffset: 9229 },
    ]);
  });

  it('flags bytes that are not UTF-8 as their own kind of line', async () => {
    const lines = await collect(chunks(Uint8Array.of(0x7b, 0xff, 0x7d, 0x0a), '{}'));

    expect(lines.map((line) => line.kind)).toEqual(['invalid_utf8', 'text']);
  });

  it('numbers lines and offsets from where a resumed read starts', async () => {
    const lines = await collect(chunks('{"c":3}\n{"d":4}\n'), { startOffset: 100, startLine: 7 });

    expect(lines.map(({ line, endOffset }) => [line, endOffset])).toEqual([
      [8, 108],
      [9, 116],
    ]);
  });
});
