/**
 * The adcopy dev model: a LLaMA-architecture GGUF with random weights and a byte-level BPE
 * tokenizer learned from built-in Chinese and English ad copy. It loads and runs in llama.cpp like
 * a real model, fast, and writes random (but clean) text.
 *
 * @module
 */

import { DEV_CORPUS } from './corpus.js';
import type { GgufTensor, GgufTensorType, GgufValue } from './gguf.js';
import { elementCount } from './gguf.js';
import { streamSeed, uniformStream } from './random.js';
import type { DevVocabulary } from './tokenizer.js';
import { buildVocabulary, TokenType, tokenBytes } from './tokenizer.js';

/**
 * The model's `general.name`; the engine recognises it and says the model writes random text.
 * @example
 * const randomText = model.fileInfo.metadata.general.name === DEV_MODEL_NAME;
 */
export const DEV_MODEL_NAME = 'adcopy-dev';

/** Bumped whenever the generator's output changes, so an older cached file is rewritten. */
export const DEV_MODEL_GENERATOR_VERSION = 3;

/** Shapes of the dev model. */
export type DevModelPreset = 'tiny' | '1b';

/** How to make a dev model; the same options always give the same bytes. */
export interface DevModelOptions {
  /**
   * `tiny` (2 layers, width 64, under a megabyte: for tests and local runs) or `1b` (about a
   * billion parameters in F16, about 1.9 GB: for GPU benchmarks).
   * @default 'tiny'
   */
  preset?: DevModelPreset;

  /**
   * Seed of the random weights.
   * @default 1
   */
  seed?: number;

  /**
   * Element type of the matrices (norm weights stay F32).
   * @default 'f32' for tiny, 'f16' for 1b
   */
  dtype?: GgufTensorType;

  /**
   * Training context the file declares (`llama.context_length`).
   * @default 4096
   */
  contextLength?: number;
}

/** The architecture of one preset. */
interface Shape {
  layers: number;
  width: number;
  heads: number;
  kvHeads: number;
  feedForward: number;
  maxMerges: number;
  dtype: GgufTensorType;
}

const SHAPES: Record<DevModelPreset, Shape> = {
  tiny: {
    layers: 2,
    width: 64,
    heads: 4,
    kvHeads: 4,
    feedForward: 128,
    maxMerges: 4000,
    dtype: 'f32',
  },
  // TinyLlama's layout (grouped-query attention, 8 query heads per key/value head): ~1B weights.
  '1b': {
    layers: 22,
    width: 2048,
    heads: 32,
    kvHeads: 4,
    feedForward: 5632,
    maxMerges: 4000,
    dtype: 'f16',
  },
};

/** ChatML as Qwen and others ship it; node-llama-cpp resolves its ChatML wrapper from it. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']" +
  " + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** The description stored in the file, so anyone who inspects it knows what it is. */
export const DEV_MODEL_DESCRIPTION =
  'Random weights: this model writes random text. It is the adcopy project\'s own development ' +
  'model, made by engine/devmodel for tests and local runs; it never ends by itself, so callers ' +
  'pass a token limit.';

/** Everything needed to write the file: metadata in order and tensors with their fillers. */
export interface DevModelLayout {
  metadata: Array<readonly [string, GgufValue]>;
  tensors: GgufTensor[];
  vocabulary: DevVocabulary;
  parameterCount: number;
}

const u32 = (value: number): GgufValue => ({ type: 'u32', value });
const str = (value: string): GgufValue => ({ type: 'string', value });

/**
 * Not printable text: controls (newline aside), format, private-use and unassigned code points.
 * The corpus holds only long-assigned characters, so every Node version's Unicode tables agree.
 */
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\uFFFD]/u;

/**
 * Whether a normal token decodes on its own to complete, printable UTF-8; the others (byte pieces
 * of a character, control bytes) get a zero output row so greedy decoding does not pick them.
 */
export function isCleanTextToken(token: string): boolean {
  let text: string;

  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(tokenBytes(token));
  } catch {
    return false;
  }

  return !NOT_PRINTABLE.test(text.replaceAll('\n', ''));
}

/** Uniform values with the given standard deviation, from the tensor's own stream. */
function randomFill(seed: number, name: string, std: number): (values: Float32Array) => void {
  return (values) => {
    const next = uniformStream(streamSeed(seed, name));
    const amplitude = std * Math.sqrt(3);
    for (let i = 0; i < values.length; i++) values[i] = next() * amplitude;
  };
}

/** The output matrix: random rows for clean text tokens, zero rows for the rest. */
function outputFill(
  seed: number,
  vocabulary: DevVocabulary,
  width: number,
): (values: Float32Array) => void {
  const random = randomFill(seed, 'output.weight', 1 / Math.sqrt(width));

  return (values) => {
    random(values);
    vocabulary.tokens.forEach((token, id) => {
      const keep = vocabulary.tokenTypes[id] === TokenType.NORMAL && isCleanTextToken(token);
      if (!keep) values.fill(0, id * width, (id + 1) * width);
    });
  };
}

/** The LLaMA tensors, named as llama.cpp's loader expects, in ggml order (columns first). */
function llamaTensors(shape: Shape, vocabulary: DevVocabulary, seed: number): GgufTensor[] {
  const { width, feedForward, dtype } = shape;
  const kvWidth = (width / shape.heads) * shape.kvHeads;
  const vocabSize = vocabulary.tokens.length;
  const ones = (values: Float32Array): void => void values.fill(1);
  const matrix = (name: string, columns: number, rows: number): GgufTensor => ({
    name,
    dims: [columns, rows],
    type: dtype,
    fill: randomFill(seed, name, 1 / Math.sqrt(columns)),
  });

  const tensors: GgufTensor[] = [
    {
      name: 'token_embd.weight',
      dims: [width, vocabSize],
      type: dtype,
      fill: randomFill(seed, 'token_embd.weight', 1),
    },
  ];

  for (let layer = 0; layer < shape.layers; layer++) {
    const block = `blk.${layer}`;
    tensors.push(
      { name: `${block}.attn_norm.weight`, dims: [width], type: 'f32', fill: ones },
      matrix(`${block}.attn_q.weight`, width, width),
      matrix(`${block}.attn_k.weight`, width, kvWidth),
      matrix(`${block}.attn_v.weight`, width, kvWidth),
      matrix(`${block}.attn_output.weight`, width, width),
      { name: `${block}.ffn_norm.weight`, dims: [width], type: 'f32', fill: ones },
      matrix(`${block}.ffn_gate.weight`, width, feedForward),
      matrix(`${block}.ffn_up.weight`, width, feedForward),
      matrix(`${block}.ffn_down.weight`, feedForward, width),
    );
  }

  tensors.push(
    { name: 'output_norm.weight', dims: [width], type: 'f32', fill: ones },
    {
      name: 'output.weight',
      dims: [width, vocabSize],
      type: dtype,
      fill: outputFill(seed, vocabulary, width),
    },
  );

  return tensors;
}

/** GGUF metadata: integers as u32 and floats as f32, which is what llama.cpp accepts. */
function llamaMetadata(
  shape: Shape,
  vocabulary: DevVocabulary,
  contextLength: number,
): Array<readonly [string, GgufValue]> {
  const { endOfText, imEnd } = vocabulary.specialIds;

  return [
    ['general.architecture', str('llama')],
    ['general.name', str(DEV_MODEL_NAME)],
    ['general.description', str(DEV_MODEL_DESCRIPTION)],
    ['adcopy.dev_model.generator_version', u32(DEV_MODEL_GENERATOR_VERSION)],
    ['general.file_type', u32(shape.dtype === 'f16' ? 1 : 0)],
    ['llama.vocab_size', u32(vocabulary.tokens.length)],
    ['llama.context_length', u32(contextLength)],
    ['llama.embedding_length', u32(shape.width)],
    ['llama.block_count', u32(shape.layers)],
    ['llama.feed_forward_length', u32(shape.feedForward)],
    ['llama.attention.head_count', u32(shape.heads)],
    ['llama.attention.head_count_kv', u32(shape.kvHeads)],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
    ['llama.rope.dimension_count', u32(shape.width / shape.heads)],
    ['llama.rope.freq_base', { type: 'f32', value: 10000 }],
    ['tokenizer.ggml.model', str('gpt2')],
    ['tokenizer.ggml.pre', str('qwen2')],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: vocabulary.tokens }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: vocabulary.tokenTypes }],
    ['tokenizer.ggml.merges', { type: 'string[]', value: vocabulary.merges }],
    ['tokenizer.ggml.bos_token_id', u32(endOfText)],
    ['tokenizer.ggml.eos_token_id', u32(imEnd)],
    ['tokenizer.ggml.eot_token_id', u32(imEnd)],
    ['tokenizer.ggml.padding_token_id', u32(endOfText)],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
    ['tokenizer.chat_template', str(CHATML_TEMPLATE)],
  ];
}

/** Throws a RangeError naming the option, the value received and what is allowed. */
function checkOptions(options: DevModelOptions): void {
  const { preset, seed, dtype, contextLength } = options;

  if (preset !== undefined && !Object.hasOwn(SHAPES, preset)) {
    const presets = Object.keys(SHAPES).join(', ');
    throw new RangeError(`dev model preset must be one of ${presets}, got ${preset}`);
  }
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) {
    throw new RangeError(`dev model seed must be an integer from 0 to 4294967295, got ${seed}`);
  }
  if (dtype !== undefined && dtype !== 'f32' && dtype !== 'f16') {
    throw new RangeError(`dev model dtype must be f32 or f16, got ${String(dtype)}`);
  }
  const contextOk =
    contextLength === undefined ||
    (Number.isInteger(contextLength) && contextLength >= 16 && contextLength <= 1_048_576);
  if (!contextOk) {
    throw new RangeError(
      `dev model contextLength must be an integer from 16 to 1048576, got ${contextLength}`,
    );
  }
}

/** Lays out the dev model for the given options: what to write, without writing it. */
export function devModelLayout(options: DevModelOptions = {}): DevModelLayout {
  checkOptions(options);
  const preset = options.preset ?? 'tiny';
  const shape = { ...SHAPES[preset], ...(options.dtype ? { dtype: options.dtype } : {}) };
  const seed = options.seed ?? 1;
  const contextLength = options.contextLength ?? 4096;

  const vocabulary = buildVocabulary(DEV_CORPUS, { maxMerges: shape.maxMerges, minPairCount: 2 });
  const tensors = llamaTensors(shape, vocabulary, seed);
  const parameterCount = tensors.reduce((sum, tensor) => sum + elementCount(tensor.dims), 0);

  const metadata = llamaMetadata(shape, vocabulary, contextLength);

  return { metadata, tensors, vocabulary, parameterCount };
}
