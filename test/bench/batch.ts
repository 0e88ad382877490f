/**
 * Batch benchmark. Three measurements in one run, written to test/bench/results/batch.json:
 *
 * 1. A job of BENCH_LINES (default 10,000) distinct briefs dropped into a real S3-compatible server
 *    (s3rver) and run by the batch handler with the real copy pipeline, against the real engine on
 *    the shared tiny model, running as its own process as in production.
 * 2. The engine's own maximum throughput in the same run: the engine requests the job sent (a
 *    sample of them) replayed straight at the engine at saturation, without the batch around it.
 *    `engine_utilisation` is the job's engine-call rate over that maximum rate.
 * 3. Peak memory of a BENCH_MEMORY_LINES (default 1,000,000) line job, in a child process with a
 *    fast stub in place of the engine (that figure measures the batch machinery, not the model).
 *
 * Run: npm run bench:batch   (BENCH_LINES=500 for a quick look; BENCH_MODEL=path for another GGUF)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';

import { build } from 'esbuild';

import {
  BATCH_NODE_OPTIONS,
  createBatchHandler,
  createBatchPipeline,
} from '../../functions/batch/index.js';
import {
  HttpEngine,
  type CallOptions,
  type Engine,
  type EngineRequest,
  type EngineResponse,
} from '../../layers/engine-client/index.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';
import { startLocalS3 } from '../helpers/s3.js';

const LINES = Number(process.env.BENCH_LINES ?? 10_000);
const MEMORY_LINES = Number(process.env.BENCH_MEMORY_LINES ?? 1_000_000);
const MODEL = process.env.BENCH_MODEL ?? SHARED_TINY_MODEL;
const SLOTS = 8;
/** Twice the slots: a brief's own work between engine calls must not leave a slot idle. */
const BATCH_CONCURRENCY = SLOTS * 2;
/** Every Nth engine request of the job is kept for the replay. */
const SAMPLE_EVERY = Math.max(1, Math.floor(LINES / 400));
const REPLAY_REQUESTS = Number(
  process.env.BENCH_REPLAY_REQUESTS ?? Math.min(800, Math.max(64, LINES / 5)),
);
const RESULT_PATH = resolve('test/bench/results/batch.json');

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** An engine client that counts what passes through it and keeps a sample of requests. */
class RecordingEngine implements Engine {
  readonly name: string;
  calls = 0;
  completionTokens = 0;
  promptTokens = 0;
  readonly sample: EngineRequest[] = [];

  constructor(private readonly inner: Engine) {
    this.name = inner.name;
  }

  async generate(request: EngineRequest, options?: CallOptions): Promise<EngineResponse> {
    const index = this.calls;
    this.calls += 1;
    if (index % SAMPLE_EVERY === 0) this.sample.push(request);
    const response = await this.inner.generate(request, options);
    this.completionTokens += response.usage.completion_tokens;
    this.promptTokens += response.usage.prompt_tokens - response.usage.cached_prompt_tokens;
    return response;
  }

  stream(request: EngineRequest, options?: CallOptions) {
    return this.inner.stream(request, options);
  }
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
      .listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => done(port));
      })
      .on('error', fail);
  });
}

async function startEngineProcess(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'engine/main.ts'], {
    env: {
      ...process.env,
      MODEL_PATH: MODEL,
      ENGINE_PORT: String(port),
      ENGINE_SLOTS: String(SLOTS),
      ENGINE_CONTEXT_SIZE: '2048',
      ENGINE_QUEUE_LIMIT: '256',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let waited = 0; waited < 180_000; waited += 250) {
    const ready = await fetch(`${url}/ping`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, child };
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill();
  throw new Error('engine did not become ready within 180 s');
}

function briefLine(i: number): string {
  return JSON.stringify({
    id: `sku-${i}`,
    brand: 'Camellia',
    product: `cold brew oolong no. ${i}`,
    features: ['zero sugar', `steeped ${(i % 12) + 1} hours`],
    audience: 'city commuters',
    tone: 'lively',
    channel: 'generic',
    language: 'en',
    variants: 1,
    length: 'short',
  });
}

/** Runs the job through the handler, the Lambda's path, and returns its figures. */
async function runJob(engine: RecordingEngine) {
  const s3 = await startLocalS3('adcopy-bench');
  try {
    const key = 'batch/input/bench catalogue.jsonl';
    await s3.put(key, `${Array.from({ length: LINES }, (_, i) => briefLine(i)).join('\n')}\n`);
    const handler = createBatchHandler({
      s3: s3.client,
      pipeline: createBatchPipeline({ engine }),
      logger: quiet as never,
      jobOptions: { concurrency: BATCH_CONCURRENCY },
    });

    const started = performance.now();
    const answer = await handler({
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: s3.bucket }, object: { key: key.replace(/ /g, '+') } },
        },
      ],
    });
    const wallS = (performance.now() - started) / 1000;
    const folder = `batch/output/${answer.objects[0]?.job}/`;
    const report = JSON.parse((await s3.get(`${folder}report.json`)) ?? '{}');
    return { wallS, report };
  } finally {
    await s3.close();
  }
}

/** The engine's own rate on the job's requests: replayed at saturation, no batch around them. */
async function replayAtSaturation(engine: Engine, sample: EngineRequest[]) {
  let next = 0;
  let calls = 0;
  let completionTokens = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < REPLAY_REQUESTS) {
      const request = sample[next % sample.length]!;
      next += 1;
      const response = await engine.generate(request, { deadlineMs: 120_000 });
      calls += 1;
      completionTokens += response.usage.completion_tokens;
    }
  };
  await Promise.all(Array.from({ length: SLOTS * 2 }, worker));
  const wallS = (performance.now() - started) / 1000;
  return { calls, wallS, callsPerS: calls / wallS, completionTokensPerS: completionTokens / wallS };
}

/**
 * Runs the memory measurement in its own process, bundled with esbuild and started with the batch
 * Lambda's NODE_OPTIONS, as it is deployed (no TypeScript loader in the measured process).
 */
async function measureMemory(): Promise<Record<string, unknown>> {
  const bundle = resolve('.tmp/bench/batch-memory.mjs');
  await build({
    entryPoints: ['test/bench/batch-memory.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: bundle,
    logLevel: 'warning',
  });
  const child = spawn(process.execPath, [bundle, String(MEMORY_LINES)], {
    env: { ...process.env, NODE_OPTIONS: BATCH_NODE_OPTIONS },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`memory run exited with ${code}`);
  return {
    ...JSON.parse(output.trim().split('\n').at(-1) ?? '{}'),
    node_options: BATCH_NODE_OPTIONS,
  };
}

async function main(): Promise<void> {
  const { url, child } = await startEngineProcess();
  try {
    const engine = new RecordingEngine(
      new HttpEngine({ baseUrl: url, defaultDeadlineMs: 120_000 }),
    );
    process.stderr.write(
      `batch job: ${LINES} lines, concurrency ${BATCH_CONCURRENCY}, ${SLOTS} engine slots\n`,
    );
    const job = await runJob(engine);
    const batchCallsPerS = engine.calls / job.wallS;

    process.stderr.write(`engine maximum: replaying ${REPLAY_REQUESTS} of the job's requests\n`);
    const max = await replayAtSaturation(
      new HttpEngine({ baseUrl: url, defaultDeadlineMs: 120_000 }),
      engine.sample,
    );
    child.kill('SIGTERM');

    process.stderr.write(`memory: ${MEMORY_LINES} lines with a stub engine\n`);
    const memory = await measureMemory();

    const result = {
      lines: LINES,
      model: MODEL.replace(/^.*\//, ''),
      machine: `${process.platform} ${process.arch}, node ${process.version}`,
      copies_per_hour: job.report.copies?.copies_per_hour ?? null,
      briefs_per_hour: Math.round(((job.report.counts?.results ?? 0) * 3600) / job.wallS),
      engine_utilisation: Number((batchCallsPerS / max.callsPerS).toFixed(3)),
      peak_rss_mb: memory.peak_rss_mb,
      job: {
        wall_s: Number(job.wallS.toFixed(1)),
        results: job.report.counts?.results,
        errors: job.report.counts?.errors,
        errors_by_reason: job.report.counts?.errors_by_reason,
        engine_calls: engine.calls,
        engine_calls_per_s: Number(batchCallsPerS.toFixed(2)),
        completion_tokens_per_s: Number((engine.completionTokens / job.wallS).toFixed(1)),
        concurrency: BATCH_CONCURRENCY,
        latency_ms: job.report.latency_ms,
      },
      engine_max: {
        method:
          "a sample of the job's own engine requests replayed straight at the engine with " +
          `${SLOTS * 2} callers (${SLOTS} slots), no batch machinery around them`,
        requests: max.calls,
        wall_s: Number(max.wallS.toFixed(1)),
        engine_calls_per_s: Number(max.callsPerS.toFixed(2)),
        completion_tokens_per_s: Number(max.completionTokensPerS.toFixed(1)),
      },
      memory: {
        ...memory,
        note:
          'stub engine (instant fixed answer) for this figure only; real brief ' +
          'validation, line splitting, ordered commit, multipart outputs and checkpoints, local file ' +
          'in and local folder out (the same job code as S3), bundled and run with the Lambda NODE_OPTIONS',
      },
      targets: { engine_utilisation: '>= 0.9', peak_rss_mb: '<= 256' },
      random_weights:
        'the model has random weights and writes gibberish; figures measure the serving path',
    };
    mkdirSync(dirname(RESULT_PATH), { recursive: true });
    writeFileSync(RESULT_PATH, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    child.kill('SIGTERM');
  }
}

await main();
