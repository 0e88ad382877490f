/**
 * Batch benchmark. Three measurements in one run, written to test/bench/results/batch.json:
 *
 * 1. A job of BENCH_LINES (default 10,000) distinct briefs dropped into a real S3-compatible server
 *    (s3rver) and run by the batch handler with the real copy pipeline, against the real engine on
 *    the shared tiny model, running as its own process as in production.
 * 2. The engine's own maximum throughput in the same run: engine requests of a short warm-up job
 *    (other briefs, same shape) replayed straight at the engine at saturation, without the batch
 *    around them, once before and once after the job; the higher rate is the maximum (the two
 *    cores are shared, so the load drifts). `engine_utilisation` is the job's engine-call rate over
 *    that maximum. The engine's busy slots, sampled from /metrics during the job, are reported too.
 * 3. Peak memory of a BENCH_MEMORY_LINES (default 1,000,000) line job, in a child process with a
 *    fast stub in place of the engine (that figure measures the batch machinery, not the model).
 *
 * Run: npm run bench:batch   (BENCH_LINES=500 for a quick look; BENCH_MODEL=path for another GGUF)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
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
import { freePort } from '../helpers/ports.js';

const LINES = Number(process.env.BENCH_LINES ?? 10_000);
const MEMORY_LINES = Number(process.env.BENCH_MEMORY_LINES ?? 1_000_000);
const MODEL = process.env.BENCH_MODEL ?? SHARED_TINY_MODEL;
const SLOTS = 8;
/** Twice the slots: a brief's own work between engine calls must not leave a slot idle. */
const BATCH_CONCURRENCY = SLOTS * 2;
/** Every Nth engine request of the job is kept for the replay. */
const WARM_UP_LINES = 120;
const REPLAY_REQUESTS = Number(process.env.BENCH_REPLAY_REQUESTS ?? 400);
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
  /** Every request, for the replay: only the short warm-up job's are kept. */
  readonly sample: EngineRequest[] = [];

  constructor(private readonly inner: Engine) {
    this.name = inner.name;
  }

  async generate(request: EngineRequest, options?: CallOptions): Promise<EngineResponse> {
    this.calls += 1;
    this.sample.push(request);
    const response = await this.inner.generate(request, options);
    this.completionTokens += response.usage.completion_tokens;
    this.promptTokens += response.usage.prompt_tokens - response.usage.cached_prompt_tokens;
    return response;
  }

  stream(request: EngineRequest, options?: CallOptions) {
    return this.inner.stream(request, options);
  }
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

/** Runs a job through the handler, the Lambda's path, and returns its figures. */
async function runJob(engine: Engine, name: string, lines: number, firstSku: number) {
  const s3 = await startLocalS3('adcopy-bench');
  try {
    const key = `batch/input/${name}.jsonl`;
    const body = Array.from({ length: lines }, (_, i) => briefLine(firstSku + i)).join('\n');
    await s3.put(key, `${body}\n`);
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

function replayFigures(replay: Awaited<ReturnType<typeof replayAtSaturation>>) {
  return {
    requests: replay.calls,
    wall_s: Number(replay.wallS.toFixed(1)),
    engine_calls_per_s: Number(replay.callsPerS.toFixed(2)),
    completion_tokens_per_s: Number(replay.completionTokensPerS.toFixed(1)),
  };
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

/** Samples the engine's busy slots and queue depth from /metrics once a second until stopped. */
function sampleOccupancy(url: string) {
  const busy: number[] = [];
  let queued = 0;
  const timer = setInterval(() => {
    void fetch(`${url}/metrics`)
      .then((response) => response.text())
      .then(
        (text) => {
          const gauge = (name: string) =>
            Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
          busy.push(gauge('adcopy_engine_busy_slots'));
          if (gauge('adcopy_engine_queue_depth') > 0) queued += 1;
        },
        () => undefined,
      );
  }, 1000);
  return () => {
    clearInterval(timer);
    const seen = busy.filter((n) => Number.isFinite(n));
    const mean = seen.reduce((sum, n) => sum + n, 0) / Math.max(1, seen.length);
    return {
      samples: seen.length,
      mean_busy_slots: Number(mean.toFixed(2)),
      busy_share: Number((mean / SLOTS).toFixed(3)),
      share_of_samples_with_a_queue: Number((queued / Math.max(1, seen.length)).toFixed(3)),
    };
  };
}

async function main(): Promise<void> {
  const { url, child } = await startEngineProcess();
  try {
    const client = () => new HttpEngine({ baseUrl: url, defaultDeadlineMs: 120_000 });
    process.stderr.write(`warm-up job: ${WARM_UP_LINES} lines, for the replay's requests\n`);
    const warmUp = new RecordingEngine(client());
    await runJob(warmUp, 'bench warm-up', WARM_UP_LINES, LINES);

    process.stderr.write(`engine maximum (before): ${REPLAY_REQUESTS} requests\n`);
    const before = await replayAtSaturation(client(), warmUp.sample);

    process.stderr.write(
      `batch job: ${LINES} lines, concurrency ${BATCH_CONCURRENCY}, ${SLOTS} engine slots\n`,
    );
    const engine = new RecordingEngine(client());
    const stopSampling = sampleOccupancy(url);
    const job = await runJob(engine, 'bench catalogue', LINES, 0);
    const occupancy = stopSampling();
    const batchCallsPerS = engine.calls / job.wallS;

    process.stderr.write(`engine maximum (after): ${REPLAY_REQUESTS} requests\n`);
    const after = await replayAtSaturation(client(), warmUp.sample);
    const max = before.callsPerS >= after.callsPerS ? before : after;
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
          "a warm-up job's engine requests (120 other briefs of the same shape) replayed straight " +
          `at the engine with ${SLOTS * 2} callers (${SLOTS} slots), no batch machinery, before ` +
          'and after the job; the higher rate counts',
        before: replayFigures(before),
        after: replayFigures(after),
        engine_calls_per_s: Number(max.callsPerS.toFixed(2)),
      },
      engine_occupancy_during_job: occupancy,
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
