/**
 * Benchmark of the dev model: how long it takes to write and load, how many tokens a Chinese and an
 * English text take, and how fast llama.cpp reads a prompt and writes tokens with it.
 * Writes test/bench/results/devmodel[-<preset>].json.
 *
 * `npm run bench:devmodel [-- --preset 1b] [--threads 1] [--gpu]`
 *
 * @module
 */

import { cpus, tmpdir } from 'node:os';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { getLlama, LlamaCompletion, LlamaLogLevel } from 'node-llama-cpp';

import { writeDevModel } from '../../engine/devmodel/index.js';

const ZH_SAMPLE =
  '春天来了，带上一杯冷泡乌龙去公园走走吧。清爽不甜腻，回甘悠长，' +
  '适合每一个需要放松的下午。现在下单享受新人专属价，还包邮到家。';
const EN_SAMPLE =
  'Spring is here, so take a cold brew oolong to the park. Crisp, never too sweet, with a long ' +
  'finish, it suits every afternoon that needs a break. Order now for a new-customer price.';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'tiny' },
    threads: { type: 'string', default: '1' },
    gpu: { type: 'boolean', default: false },
  },
});

const preset = values.preset === '1b' ? '1b' : 'tiny';
const threads = Number(values.threads);

/** Median of a few timings, in milliseconds. */
function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

const folder = await mkdtemp(join(tmpdir(), 'adcopy-devmodel-bench-'));

try {
  // Writing: the tiny model five times (median), the 1B model once.
  const writes: number[] = [];
  let written = await writeDevModel(join(folder, 'model.gguf'), { preset });
  for (let run = 0; run < (preset === 'tiny' ? 5 : 1); run++) {
    const write = await timed(() => writeDevModel(join(folder, 'model.gguf'), { preset }));
    written = write.result;
    writes.push(write.ms);
  }

  const llama = await getLlama({ gpu: values.gpu ? 'auto' : false, logLevel: LlamaLogLevel.error });
  const load = await timed(() => llama.loadModel({ modelPath: written.path }));
  const model = load.result;

  // Prompt reading: about a thousand tokens of mixed copy, evaluated in one go.
  const promptTokens = model.tokenize(`${ZH_SAMPLE}\n${EN_SAMPLE}\n`.repeat(8), false);
  const readContext = await model.createContext({ contextSize: 2048, threads });
  const read = await timed(() =>
    readContext.getSequence().evaluateWithoutGeneratingNewTokens(promptTokens),
  );
  await readContext.dispose();

  // Writing tokens: 256 greedy tokens after a short prompt.
  const writeContext = await model.createContext({ contextSize: 2048, threads });
  const completion = new LlamaCompletion({ contextSequence: writeContext.getSequence() });
  let generated = 0;
  const generation = await timed(() =>
    completion.generateCompletion('冷泡乌龙，', {
      maxTokens: 256,
      temperature: 0,
      onToken: (tokens) => void (generated += tokens.length),
    }),
  );
  await writeContext.dispose();

  const figures = {
    preset,
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, gpu: values.gpu, threads },
    node: process.version,
    measured_at: new Date().toISOString(),
    model: {
      size_bytes: written.sizeBytes,
      parameters: written.parameterCount,
      vocabulary: written.vocabularySize,
    },
    write_ms: Number(median(writes).toFixed(1)),
    load_ms: Number(load.ms.toFixed(1)),
    tokens_per_char: {
      zh: Number((model.tokenize(ZH_SAMPLE, false).length / ZH_SAMPLE.length).toFixed(2)),
      en: Number((model.tokenize(EN_SAMPLE, false).length / EN_SAMPLE.length).toFixed(2)),
    },
    prompt_tokens: promptTokens.length,
    prompt_tokens_per_s: Math.round(promptTokens.length / (read.ms / 1000)),
    generated_tokens: generated,
    generated_tokens_per_s: Math.round(generated / (generation.ms / 1000)),
  };

  await model.dispose();
  await llama.dispose();

  const results = fileURLToPath(new URL('./results/', import.meta.url));
  const name = preset === 'tiny' ? 'devmodel' : `devmodel-${preset}`;
  await mkdir(results, { recursive: true });
  await writeFile(join(results, `${name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
} finally {
  await rm(folder, { recursive: true, force: true });
}
