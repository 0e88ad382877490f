/**
 * The memory half of the batch benchmark, run by test/bench/batch.ts in its own process: a job of
 * N lines (argument; default 1,000,000) from a local file into a local folder, with the real brief
 * validation and a stub in place of the engine. Prints one JSON line: peak RSS and RSS samples
 * along the way (flat memory shows as flat samples).
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  FileInputSource,
  FsJobStore,
  jobIdentity,
  runBatchJob,
} from '../../functions/batch/index.js';
import { parseBrief } from '../../layers/copy/index.js';

const LINES = Number(process.argv[2] ?? 1_000_000);
const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

async function writeInput(path: string): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < LINES; i += 1) {
    const line = JSON.stringify({
      id: `sku-${i}`,
      brand: '山茶',
      product: `冷泡乌龙 ${i}号`,
      features: ['0糖', '冷萃12小时'],
      audience: '都市白领',
      tone: '活泼',
      channel: 'wechat_moments',
    });
    // Every 1000th line is broken, so errors.jsonl grows too.
    if (!out.write(i % 1000 === 999 ? `${line.slice(0, 20)}\n` : `${line}\n`)) {
      await new Promise<void>((done) => out.once('drain', () => done()));
    }
  }
  await new Promise<void>((done, fail) =>
    out.end((error?: Error | null) => (error ? fail(error) : done())),
  );
}

/** A stub answer about the size of a real one-variant answer. */
function stubAnswer(id: string | undefined) {
  return {
    id: `cpy_${id}`,
    model: 'stub',
    cached: false,
    degraded: false,
    variants: [
      { index: 0, text: '冷泡乌龙，清爽一夏。', compliance: { passed: true, violations: [] } },
    ],
    usage: { promptTokens: 800, cachedPromptTokens: 400, completionTokens: 30, engineCalls: 1 },
  };
}

const folder = await mkdtemp(join(tmpdir(), 'adcopy-batch-memory-'));
try {
  const path = join(folder, 'million.jsonl');
  await writeInput(path);
  const input = await FileInputSource.open(path);
  const samples: number[] = [];
  const started = performance.now();

  const outcome = await runBatchJob({
    job: jobIdentity({ path, eTag: String(input.size) }),
    input,
    store: new FsJobStore(join(folder, 'out')),
    pipeline: { parseBrief, generate: async (brief) => stubAnswer(brief.id) },
    logger: quiet as never,
    options: {
      concurrency: 16,
      progressIntervalMs: 1000,
      onProgress: () => samples.push(Math.round(process.memoryUsage().rss / 2 ** 20)),
    },
  });

  const report = outcome.status === 'completed' ? outcome.report : undefined;
  process.stdout.write(
    `${JSON.stringify({
      lines: LINES,
      input_mb: Math.round(input.size / 2 ** 20),
      status: outcome.status,
      results: report?.counts.results,
      errors: report?.counts.errors,
      wall_s: Number(((performance.now() - started) / 1000).toFixed(1)),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      rss_samples_mb: samples.filter(
        (_, i) => i % Math.max(1, Math.floor(samples.length / 10)) === 0,
      ),
    })}\n`,
  );
} finally {
  await rm(folder, { recursive: true, force: true });
}
