import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeTensorData, toHalfBits } from '../../engine/devmodel/gguf.js';
import { readGeneratorVersion } from '../../engine/devmodel/inspect.js';
import {
  DEV_MODEL_GENERATOR_VERSION,
  devModelLayout,
  isCleanTextToken,
} from '../../engine/devmodel/model.js';
import {
  buildVocabulary,
  byteSymbols,
  learnMerges,
  splitPieces,
  TokenType,
} from '../../engine/devmodel/tokenizer.js';
import { writeDevModel } from '../../engine/devmodel/index.js';

/** sha256 of the default tiny model of generator version 3, on any machine. */
const TINY_MODEL_SHA256 = 'd6dc70b6e4739150261caded101e6770a87d006a487fcd28596b311db5602edb';

let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'adcopy-devmodel-format-'));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function sha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** The token spelling of a text: its UTF-8 bytes as GPT-2 byte symbols. */
function spell(text: string): string {
  const symbols = byteSymbols();
  return Array.from(Buffer.from(text, 'utf8'), (byte) => symbols[byte]).join('');
}

describe('Function: byteSymbols', () => {
  it('gives 256 distinct single-character symbols in the GPT-2 spelling', () => {
    const symbols = byteSymbols();

    expect(new Set(symbols).size).toBe(256);
    expect(symbols.every((symbol) => Array.from(symbol).length === 1)).toBe(true);
    expect(symbols[0x41]).toBe('A');
    expect(symbols[0x20]).toBe('Ġ');
    expect(symbols[0x0a]).toBe('Ċ');
    expect(symbols[0x00]).toBe('Ā');
    expect(symbols.some((symbol) => /\s/u.test(symbol))).toBe(false);
  });
});

describe('Function: splitPieces', () => {
  it('splits as the qwen2 pre-tokenizer: words with their leading space, digits one by one', () => {
    expect(splitPieces("It's 12 hours, 冷泡乌龙！")).toEqual([
      'It',
      "'s",
      ' ',
      '1',
      '2',
      ' hours',
      ',',
      ' 冷泡乌龙',
      '！',
    ]);
  });
});

describe('Function: learnMerges', () => {
  it('merges the most frequent pair first and breaks ties by the smaller pair', () => {
    // Prepare: "ab" occurs 3 times; then "Ġ ab", "b c" and "c d" twice each ("b" < "c" < "Ġ").
    const text = 'ab ab ab bcd bcd';

    // Act
    const merges = learnMerges(text, { maxMerges: 3, minPairCount: 2 });

    // Assess
    expect(merges).toEqual(['a b', 'b c', 'bc d']);
  });

  it('stops when no pair occurs often enough', () => {
    expect(learnMerges('abc xyz', { maxMerges: 10, minPairCount: 2 })).toEqual([]);
  });
});

describe('Function: buildVocabulary', () => {
  const vocabulary = buildVocabulary('冷泡冷泡 tea tea', { maxMerges: 50, minPairCount: 2 });

  it('puts byte tokens first, merged tokens next and the ChatML specials last as CONTROL', () => {
    const { tokens, tokenTypes, specialIds } = vocabulary;

    expect(tokens.slice(0, 256)).toEqual(byteSymbols());
    expect(tokens).toContain(spell('冷泡'));
    expect(tokens).not.toContain(spell('冷泡冷泡'));
    expect(tokens.slice(-3)).toEqual(['<|endoftext|>', '<|im_start|>', '<|im_end|>']);
    expect(specialIds).toEqual({
      endOfText: tokens.length - 3,
      imStart: tokens.length - 2,
      imEnd: tokens.length - 1,
    });
    expect(tokenTypes.slice(-3)).toEqual([TokenType.CONTROL, TokenType.CONTROL, TokenType.CONTROL]);
    expect(tokenTypes.slice(0, -3).every((type) => type === TokenType.NORMAL)).toBe(true);
  });

  it('has one token per text and one token for the result of every merge', () => {
    const { tokens, merges } = vocabulary;

    expect(new Set(tokens).size).toBe(tokens.length);
    for (const merge of merges) expect(tokens).toContain(merge.replace(' ', ''));
  });
});

describe('Function: isCleanTextToken', () => {
  it('keeps tokens of complete printable UTF-8 and drops byte pieces and control bytes', () => {
    expect(isCleanTextToken(spell('冷泡'))).toBe(true);
    expect(isCleanTextToken(spell(' tea'))).toBe(true);
    expect(isCleanTextToken(spell('\n'))).toBe(true);
    expect(isCleanTextToken(spell('🍵'))).toBe(true);
    expect(isCleanTextToken(spell('冷').slice(0, 2))).toBe(false);
    expect(isCleanTextToken(spell('\u0000'))).toBe(false);
    expect(isCleanTextToken(spell('\u200b'))).toBe(false);
    expect(isCleanTextToken(byteSymbols()[0xff] as string)).toBe(false);
  });
});

describe('Function: toHalfBits', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [65504, 0x7bff],
    [65520, 0x7c00],
    [2 ** -24, 0x0001],
    [2 ** -26, 0x0000],
    [-0, 0x8000],
    [Number.POSITIVE_INFINITY, 0x7c00],
    [Number.NaN, 0x7e00],
    // Halfway between 1 and the next half (1 + 2^-10): ties go to the even mantissa.
    [1 + 2 ** -11, 0x3c00],
    [1 + 3 * 2 ** -11, 0x3c02],
  ])('encodes %d as 0x%s', (value, bits) => {
    expect(toHalfBits(value)).toBe(bits);
  });
});

describe('Function: encodeTensorData', () => {
  const values = [1, -2, 0.1, 65520, 2 ** -24];
  const fill = (out: Float32Array): void => out.set(values);

  it('encodes F16 tensors value by value and pads them to 32 bytes', () => {
    const data = encodeTensorData({ name: 'x', dims: [5], type: 'f16', fill });

    expect(data).toHaveLength(32);
    expect(Array.from(new Uint16Array(data.buffer, 0, 5))).toEqual(values.map(toHalfBits));
    expect(Array.from(data.subarray(10))).toEqual(Array(22).fill(0));
  });

  it('stores F32 tensors as their exact single-precision bytes', () => {
    const data = encodeTensorData({ name: 'x', dims: [5, 1], type: 'f32', fill });

    expect(Array.from(new Float32Array(data.buffer, 0, 5))).toEqual(values.map(Math.fround));
  });
});

describe('Function: devModelLayout', () => {
  it('lays out the tiny preset: 2 layers of width 64, a few hundred thousand weights', () => {
    const layout = devModelLayout();
    const names = layout.tensors.map((tensor) => tensor.name);

    expect(names).toHaveLength(2 + 2 * 9 + 1);
    expect(names[0]).toBe('token_embd.weight');
    expect(names).toContain('blk.1.ffn_down.weight');
    expect(layout.parameterCount).toBeGreaterThan(100_000);
    expect(layout.parameterCount).toBeLessThan(1_000_000);
  });

  it('lays out the 1b preset at about a billion weights', () => {
    const layout = devModelLayout({ preset: '1b' });

    expect(layout.parameterCount).toBeGreaterThan(0.9e9);
    expect(layout.parameterCount).toBeLessThan(1.2e9);
    expect(layout.tensors.find((tensor) => tensor.name === 'blk.0.attn_k.weight')?.dims).toEqual([
      2048, 256,
    ]);
  });

  it.each([
    [{ preset: 'huge' as never }, /preset must be one of tiny, 1b, got huge/],
    [{ seed: -1 }, /seed must be an integer from 0 to 4294967295, got -1/],
    [{ seed: 1.5 }, /seed must be an integer/],
    [{ dtype: 'q4' as never }, /dtype must be f32 or f16, got q4/],
    [{ contextLength: 0 }, /contextLength must be an integer from 16 to 1048576, got 0/],
  ])('fails on bad options %o', (options, message) => {
    expect(() => devModelLayout(options)).toThrow(message);
  });
});

describe('Function: writeDevModel', () => {
  it('writes the exact bytes of this generator version', async () => {
    // Changing the generator on purpose: bump DEV_MODEL_GENERATOR_VERSION and this hash together,
    // so machines with a cached older file write the new one.
    const expected = { version: 3, sha256: TINY_MODEL_SHA256 };

    const written = await writeDevModel(join(folder, 'golden.gguf'));

    expect({ version: DEV_MODEL_GENERATOR_VERSION, sha256: await sha256(written.path) }).toEqual(
      expected,
    );
  });

  it('writes byte-identical files for the same options', async () => {
    const first = await writeDevModel(join(folder, 'first.gguf'));
    const second = await writeDevModel(join(folder, 'second.gguf'));

    expect(await sha256(first.path)).toBe(await sha256(second.path));
    expect(first.sizeBytes).toBe((await readFile(first.path)).length);
  });

  it('writes different weights for another seed and a smaller file in F16', async () => {
    const base = await writeDevModel(join(folder, 'base.gguf'));
    const seeded = await writeDevModel(join(folder, 'seeded.gguf'), { seed: 2 });
    const half = await writeDevModel(join(folder, 'half.gguf'), { dtype: 'f16' });

    expect(seeded.sizeBytes).toBe(base.sizeBytes);
    expect(await sha256(seeded.path)).not.toBe(await sha256(base.path));
    expect(half.sizeBytes).toBeLessThan(base.sizeBytes * 0.75);
  });

  it('leaves no temporary file behind and fails on bad options before creating any', async () => {
    const target = join(folder, 'sub', 'dir', 'model.gguf');

    await writeDevModel(target);
    await expect(writeDevModel(join(folder, 'bad.gguf'), { seed: -3 })).rejects.toThrow(/seed/);

    expect(await readdir(join(folder, 'sub', 'dir'))).toEqual(['model.gguf']);
    expect((await readdir(folder)).filter((name) => name.includes('bad'))).toEqual([]);
  });
});

describe('File: GGUF layout, read back by node-llama-cpp\'s own parser', () => {
  it('declares the options and places each tensor on a 32-byte boundary, end to end', async () => {
    // Prepare
    const written = await writeDevModel(join(folder, 'layout.gguf'), {
      contextLength: 2048,
      dtype: 'f16',
    });
    const layout = devModelLayout({ contextLength: 2048, dtype: 'f16' });

    // Act
    const info = await readGgufFileInfo(written.path);

    // Assess
    const llama = info.architectureMetadata;
    expect(info.version).toBe(3);
    expect(llama.context_length).toBe(2048);
    expect(llama.embedding_length).toBe(64);
    expect(llama.attention?.head_count).toBe(4);
    expect(llama.rope?.dimension_count).toBe(16);
    expect(info.metadata.general.file_type).toBe(1);
    expect(info.metadata.tokenizer.ggml.tokens).toHaveLength(written.vocabularySize);

    const tensors = info.tensorInfo ?? [];
    expect(tensors.map((tensor) => tensor.name)).toEqual(layout.tensors.map((t) => t.name));
    expect(tensors.map((tensor) => tensor.dimensions.map(Number))).toEqual(
      layout.tensors.map((tensor) => tensor.dims),
    );
    expect(tensors.every((tensor) => Number(tensor.fileOffset) % 32 === 0)).toBe(true);

    const last = tensors.at(-1);
    const lastBytes = 64 * written.vocabularySize * 2;
    expect(Number(last?.fileOffset) + lastBytes).toBe(written.sizeBytes);
  });
});

describe('Function: readGeneratorVersion', () => {
  it('reads the version from a written model and nothing from other files', async () => {
    const model = await writeDevModel(join(folder, 'versioned.gguf'));
    const notGguf = join(folder, 'not.gguf');
    const truncated = join(folder, 'truncated.gguf');
    await writeFile(notGguf, 'hello');
    await writeFile(truncated, (await readFile(model.path)).subarray(0, 40));

    expect(await readGeneratorVersion(model.path)).toBe(DEV_MODEL_GENERATOR_VERSION);
    expect(await readGeneratorVersion(notGguf)).toBeUndefined();
    expect(await readGeneratorVersion(truncated)).toBeUndefined();
    expect(await readGeneratorVersion(join(folder, 'missing.gguf'))).toBeUndefined();
  });
});
