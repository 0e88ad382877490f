import { describe, expect, it } from 'vitest';

import { BadWordsGuard, VocabularyIndex } from '../../engine/scheduler/bad-words.js';
import { TextStream } from '../../engine/scheduler/text-stream.js';

const bytes = (text: string) => new TextEncoder().encode(text);

function run(stream: TextStream, pieces: Uint8Array[]) {
  const chunks = pieces.map((piece) => stream.push(piece));
  return { chunks: chunks.map((c) => c.text), stopped: chunks.some((c) => c.stopped) };
}

describe('Class: TextStream', () => {
  it('never emits half a UTF-8 character (case 18: 赋 split as E8 B5 | 8B, then 能)', () => {
    const stream = new TextStream([]);

    const { chunks } = run(stream, [Uint8Array.of(0xe8, 0xb5), Uint8Array.of(0x8b), bytes('能')]);

    expect(chunks).toEqual(['', '赋', '能']);
    expect(chunks.join('')).toBe('赋能');
    expect(stream.text).toBe('赋能');
  });

  it('keeps back a stop string split over tokens and never returns it (case 19)', () => {
    const stream = new TextStream(['<|im_end|>']);

    const { chunks, stopped } = run(stream,
      ['好茶，', '<|', 'im_end|>', '多余'].map(bytes));

    expect(chunks.join('')).toBe('好茶，');
    expect(stopped).toBe(true);
    expect(stream.text).toBe('好茶，');
  });

  it('never lets text that a later stop string takes back reach the client (case 19)', () => {
    const stream = new TextStream(['全国第一']);

    const { chunks, stopped } = run(stream, ['本品', '全国第', '一'].map(bytes));

    expect(chunks).toEqual(['本品', '', '']);
    expect(stopped).toBe(true);
  });

  it('releases held-back text when it turns out not to be a stop string', () => {
    const stream = new TextStream(['END']);

    const { chunks } = run(stream, ['the E', 'N', 'D?'].map(bytes).slice(0, 2));
    const rest = stream.finish();

    expect(chunks).toEqual(['the ', '']);
    expect(rest).toBe('EN');
    expect(stream.text).toBe('the EN');
  });

  it('drops bytes that can never form a character instead of emitting U+FFFD', () => {
    const stream = new TextStream([]);

    const { chunks } = run(stream, [Uint8Array.of(0xe8), bytes('ok')]);

    expect(chunks.join('')).toBe('ok');
  });
});

describe('Class: BadWordsGuard', () => {
  const pieces = ['', 'be', 'st', 'b', 'e', 's', 't', 'best', 'ab', 'estate', '全', '国', '全国第一'];
  const vocabulary = new VocabularyIndex(pieces.length, (token) => bytes(pieces[token] ?? ''));
  const id = (piece: string) => pieces.indexOf(piece);

  it('always bans tokens that hold a whole phrase', () => {
    const guard = new BadWordsGuard(vocabulary, ['best', '全国第一']);

    const banned = guard.bannedNext([]);

    expect(banned).toEqual(expect.arrayContaining([id('best'), id('全国第一')]));
    expect(banned).not.toContain(id('be'));
  });

  it('bans every token that would complete a phrase begun by earlier tokens', () => {
    const guard = new BadWordsGuard(vocabulary, ['best']);

    expect(guard.bannedNext([id('be')])).toEqual(expect.arrayContaining([id('st')]));
    expect(guard.bannedNext([id('ab')])).toEqual(expect.arrayContaining([id('estate')]));
    expect(guard.bannedNext([id('b'), id('e'), id('s')])).toContain(id('t'));
    expect(guard.bannedNext([id('s')])).not.toContain(id('t'));
  });

  it('bans exactly the tokens that would end a phrase, after any text', () => {
    // GIVEN phrases that share starts and a vocabulary that spells them many ways
    const phrases = ['best', 'bestow', 'estate', 'st', '全国第一', '国第'];
    const guard = new BadWordsGuard(vocabulary, phrases);
    const concat = (...parts: Uint8Array[]) => Buffer.concat(parts);
    // The reference: a token is banned when the text and it hold a phrase that ends in it.
    const reference = (generated: number[]) => {
      const text = concat(...generated.map((token) => vocabulary.bytesOf(token)));
      return pieces.map((_, token) => token).filter((token) => {
        const next = concat(text, vocabulary.bytesOf(token));
        return phrases.some((phrase) => {
          const at = next.lastIndexOf(Buffer.from(bytes(phrase)));
          return at >= 0 && at + bytes(phrase).length > text.length;
        });
      });
    };

    // WHEN many pseudo-random texts are asked about
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let round = 0; round < 300; round++) {
      const generated = Array.from({ length: Math.floor(random() * 6) },
        () => 1 + Math.floor(random() * (pieces.length - 1)));

      // THEN the guard bans what the reference bans, no more and no less
      expect([...guard.bannedNext(generated)].sort((a, b) => a - b)).toEqual(reference(generated));
    }
  });
});

describe('Class: BadWordsGuard with bytes the text drops', () => {
  // Stray and partial UTF-8 bytes as a byte-fallback or byte-level vocabulary holds them:
  // 0xC3 starts é (C3 A9), 0xE4 0xBD start 你 (E4 BD A0), 0x80 and 0xA9 are continuation bytes.
  const pieces: Array<string | number[]> = ['', 'be', 'st', 'b', 'e', 's', 't', '你', '好', 'x',
    [0xc3], [0xa9], [0x80], [0xe4, 0xbd], [0xa0], [0xa9, 0x73, 0x74]];
  const bytesOfPiece = (piece: string | number[]) =>
    typeof piece === 'string' ? bytes(piece) : Uint8Array.from(piece);
  const vocabulary = new VocabularyIndex(pieces.length, (t) => bytesOfPiece(pieces[t] ?? ''));
  const id = (piece: string) => pieces.indexOf(piece);
  const phrases = ['best', 'beé', '你好', 'st'];

  it('bans the rest of a phrase after a stray byte that the text will drop', () => {
    const guard = new BadWordsGuard(vocabulary, ['best']);

    // 0xC3 then "st" shows as "best": the lead byte is dropped when no continuation follows
    expect(guard.bannedNext([id('be'), 10])).toContain(id('st'));
    expect(guard.bannedNext([id('be'), 12])).toContain(id('st'));
    expect(guard.bannedNext([id('be'), 12, 12, 10])).toContain(id('st'));
    // A token that starts with a continuation byte shows only what follows it
    expect(guard.bannedNext([id('be')])).toContain(15);
    expect(guard.bannedNext([id('x')])).not.toContain(id('st'));
  });

  it('never lets a phrase into the text, whichever allowed tokens are chosen', () => {
    // GIVEN a guard over phrases that stray bytes could split
    const guard = new BadWordsGuard(vocabulary, phrases);

    // WHEN many generations pick, at every step, any token the guard allows
    let seed = 11;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let round = 0; round < 2000; round++) {
      const generated: number[] = [];
      for (let step = 0; step < 8; step++) {
        const banned = new Set(guard.bannedNext(generated));
        const allowed = pieces.map((_, t) => t).filter((t) => t > 0 && !banned.has(t));
        generated.push(allowed[Math.floor(random() * allowed.length)] as number);
      }

      // THEN the text as streamed to the client holds none of the phrases
      const stream = new TextStream([]);
      const text = generated.map((t) => stream.push(vocabulary.bytesOf(t)).text).join('') +
        stream.finish();
      expect(phrases.filter((phrase) => text.includes(phrase)), JSON.stringify(generated))
        .toEqual([]);
    }
  });
});
