/**
 * Engine benchmark: an ad workload (64 requests sharing a long system prompt, each with its own
 * brief, 48 new tokens) at concurrency 1, 4 and 8, streamed, against the engine running as its
 * own process. With LLAMA_SERVER_BIN set, the same run measures llama.cpp's llama-server on the
 * same model and thread count; with LLAMA_BENCH_BIN set, llama-bench's single-stream figure is
 * recorded beside the engine's. Single-stream decoding is also measured through node-llama-cpp
 * itself, with direct native calls and no engine around them (`floor` mode of this file, run as
 * its own process so that its native pool can have one thread): what the engine could reach.
 * Writes test/bench/results/engine.json.
 *
 * Run: npm run bench:engine  (BENCH_MODEL=path to use another GGUF; BENCH_THREADS=n)
 */

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import type { NativeContext } from '../../engine/backends/llama/backend.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';
import { freePort } from '../helpers/ports.js';

const REQUESTS = 64;
const NEW_TOKENS = 48;
const CONCURRENCY = [1, 4, 8];
const SLOTS = 8;
const CONTEXT_PER_SLOT = 1024;

const SYSTEM_PROMPT = [
  'You are the copywriter of a consumer brand. Write short advertising copy for social feeds.',
  'Follow the brand voice: warm, lively, concrete; no superlatives, no claims that cannot be',
  'proven, no medical or financial promises, no comparisons with competitors. Mention the',
  'product name once, lead with the strongest selling point, and end with a call to action.',
  'Keep every variant under the channel limit. Chinese copy uses full-width punctuation and',
  'never mixes traditional characters in. English copy uses sentence case and active voice.',
  'Forbidden words include: best, number one, first in the country, guaranteed, cure, risk',
  'free, 最, 第一, 国家级, 唯一, 顶级, 万能. When the brief asks for something unlawful, write',
  'lawful copy that keeps its intent without the claim. Output the headline, the body and the',
  'call to action, each on its own line, without labels or quotes. The audience reads on a',
  'phone while commuting: short sentences, one idea each, a concrete picture in the first line.',
  'Seasonal hooks are welcome when the brief gives a date. Prices are never invented.',
].join(' ');

interface Measured {
  concurrency: number;
  requests: number;
  failed_requests: number;
  completion_tokens: number;
  wall_s: number;
  tokens_per_s: number;
  ttft_ms_p50: number;
  ttft_ms_p95: number;
  decode_tokens_per_s_per_stream: number;
  prefix_hit_ratio: number | null;
  prompt_tokens_mean: number;
}

interface Target {
  name: string;
  /** Sends one streamed request; resolves with its figures. */
  send(brief: string): Promise<{ ttftMs: number; totalMs: number; tokens: number;
    cached: number; prompt: number }>;
}

function brief(i: number): string {
  const products = ['cold brew oolong', 'oat milk latte', 'jasmine sparkling tea', 'matcha bar'];
  return `Brief ${i}: product ${products[i % products.length]} batch ${i * 7919}; audience ` +
    `office workers in city ${i % 13}; tone lively; channel wechat moments; language en.`;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${url} exited with ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became ready`);
}

async function* sseData(response: Response): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = block.split('\n').filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6)).join('\n');
      yield { event, data };
      end = buffer.indexOf('\n\n');
    }
  }
  if (buffer.trim()) {
    const event = /^event: (.*)$/m.exec(buffer)?.[1] ?? 'message';
    const data = buffer.split('\n').filter((l) => l.startsWith('data: '))
      .map((l) => l.slice(6)).join('\n');
    yield { event, data };
  }
}

const SAMPLING = { temperature: 0.7, top_k: 40, top_p: 0.95, min_p: 0.05, seed: 7 };

/**
 * The model's byte tokens, banned in every request to the engine and to llama-server alike:
 * llama-server ends a request with an error as soon as the output holds bytes that are not UTF-8
 * (its output parser rejects them), which a random-weights model writes in about one answer in
 * six, so its answers would be shorter than the engine's. Set by main().
 */
let byteTokens: number[] = [];

/** The byte-token bans as the engine takes them (OpenAI's `logit_bias`). */
const engineBans = () => ({ logit_bias: Object.fromEntries(byteTokens.map((t) => [t, -100])) });

/** The same bans as llama-server takes them. */
const serverBans = () => ({ logit_bias: byteTokens.map((t) => [t, false]) });

/** Tokens the GGUF marks as bytes (type 6), e.g. `<0x41>` in a LLaMA-2 vocabulary. */
async function byteTokenIds(modelPath: string): Promise<number[]> {
  const { readGgufFileInfo } = await import('node-llama-cpp');
  const info = await readGgufFileInfo(modelPath, { readTensorInfo: false });
  const types = (info.metadata as { tokenizer?: { ggml?: { token_type?: number[] } } })
    .tokenizer?.ggml?.token_type ?? [];
  return types.flatMap((type, token) => (type === 6 ? [token] : []));
}

interface StreamFigures { ttftMs: number; totalMs: number; tokens: number; cached: number;
  prompt: number }

/** POSTs a streamed request; `read` turns each event into figures, first text sets TTFT. */
async function streamed(url: string, body: object,
  read: (event: string, data: string, figures: StreamFigures) => boolean): Promise<StreamFigures> {
  const started = performance.now();
  const send = () => fetch(url, { method: 'POST',
    headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  // A keep-alive socket the server closed while idle between rounds fails before any answer:
  // that is the client's race, not the server's fault, so it is retried once.
  const response = await send().catch(send);
  const figures: StreamFigures = { ttftMs: 0, totalMs: 0, tokens: 0, cached: 0, prompt: 0 };

  for await (const { event, data } of sseData(response)) {
    const hasText = read(event, data, figures);
    if (hasText && figures.ttftMs === 0) figures.ttftMs = performance.now() - started;
  }

  figures.totalMs = performance.now() - started;
  return figures;
}

function engineTarget(url: string): Target {
  return {
    name: 'engine',
    send: (text) => streamed(`${url}/invocations`, { messages: [
      { role: 'system', content: SYSTEM_PROMPT }, { role: 'user', content: text }],
    max_new_tokens: NEW_TOKENS, ignore_eos: true, stream: true, ...SAMPLING, ...engineBans() },
    (event, data, figures) => {
      if (event === 'error') throw new Error(data);
      if (event === 'done') {
        const usage = JSON.parse(data).usage;
        figures.tokens = usage.completion_tokens;
        figures.cached = usage.cached_prompt_tokens;
        figures.prompt = usage.prompt_tokens;
      }
      return event === 'token';
    }),
  };
}

function llamaServerTarget(name: string, url: string,
  promptTokens: (text: string) => number[]): Target {
  return {
    name,
    send: (text) => streamed(`${url}/completion`, { prompt: promptTokens(text),
      n_predict: NEW_TOKENS, ignore_eos: true, cache_prompt: true, stream: true, ...SAMPLING,
      ...serverBans() },
    (_, data, figures) => {
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(`llama-server: ${chunk.error.message}`);
      figures.tokens += chunk.stop ? 0 : (chunk.tokens?.length ?? 0);
      if (chunk.stop) {
        figures.tokens = chunk.tokens_predicted ?? figures.tokens;
        figures.cached = chunk.timings?.cache_n ?? 0;
        figures.prompt = chunk.tokens_evaluated;
      }
      return Boolean(chunk.content);
    }),
  };
}

async function measure(target: Target, concurrency: number): Promise<Measured> {
  const results: Array<Awaited<ReturnType<Target['send']>>> = [];
  const failures: string[] = [];
  let next = 0;
  const started = performance.now();

  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < REQUESTS) {
      const i = next++;
      try {
        results.push(await target.send(brief(i)));
      } catch (error) {
        failures.push(String((error as Error).cause ?? error));
      }
    }
  }));

  const wallS = (performance.now() - started) / 1000;
  const tokens = results.reduce((sum, r) => sum + r.tokens, 0);
  const promptTokens = results.reduce((sum, r) => sum + r.prompt, 0);
  const cached = results.reduce((sum, r) => sum + r.cached, 0);
  const decodeRates = results.filter((r) => r.tokens > 1)
    .map((r) => (r.tokens - 1) / ((r.totalMs - r.ttftMs) / 1000));

  if (failures.length > 0) console.error(target.name, 'failed requests:', failures.slice(0, 3));
  return {
    concurrency,
    requests: results.length,
    failed_requests: failures.length,
    completion_tokens: tokens,
    wall_s: Math.round(wallS * 1000) / 1000,
    tokens_per_s: Math.round(tokens / wallS),
    ttft_ms_p50: Math.round(percentile(results.map((r) => r.ttftMs), 50) * 10) / 10,
    ttft_ms_p95: Math.round(percentile(results.map((r) => r.ttftMs), 95) * 10) / 10,
    decode_tokens_per_s_per_stream: Math.round(percentile(decodeRates, 50)),
    prefix_hit_ratio: promptTokens > 0 ? Math.round((cached / promptTokens) * 1000) / 1000 : null,
    prompt_tokens_mean: results.length > 0 ? Math.round(promptTokens / results.length) : 0,
  };
}

const ROUNDS = 3;

/**
 * Single-stream decoding as llama-bench's tg128 measures it: one request at a time, greedy,
 * 128 new tokens; the rate counts tokens after the first over the time after the first.
 */
async function singleStreamDecode(send: (prompt: string) => Promise<StreamFigures>):
  Promise<number> {
  const rates: number[] = [];
  for (let i = 0; i < 8; i++) {
    const figures = await send(brief(i));
    rates.push((figures.tokens - 1) / ((figures.totalMs - figures.ttftMs) / 1000));
  }
  return Math.round(median(rates));
}

/** One greedy 128-token stream from the engine. */
function engineStream(url: string): (prompt: string) => Promise<StreamFigures> {
  return (prompt) => streamed(`${url}/invocations`, { prompt, max_new_tokens: 128,
    temperature: 0, ignore_eos: true, stream: true, ...engineBans() }, (event, data, f) => {
    if (event === 'done') f.tokens = JSON.parse(data).usage.completion_tokens;
    return event === 'token';
  });
}

/** The same stream from llama-server's `/completion`, for llama.cpp's own serving loop. */
function llamaServerStream(url: string): (prompt: string) => Promise<StreamFigures> {
  return (prompt) => streamed(`${url}/completion`, { prompt, n_predict: 128, temperature: 0,
    ignore_eos: true, cache_prompt: true, stream: true, ...serverBans() }, (_, data, f) => {
    const chunk = JSON.parse(data);
    if (chunk.error) throw new Error(`llama-server: ${chunk.error.message}`);
    if (chunk.stop) f.tokens = chunk.tokens_predicted;
    return Boolean(chunk.content);
  });
}

function median(values: number[]): number {
  return percentile(values, 50);
}

/**
 * Measures every target at every concurrency, the targets taking turns round after round, so
 * that drift of a shared machine hits both alike; each figure is the round with median speed.
 */
async function runAll(targets: Target[]): Promise<Map<string, Measured[]>> {
  // One warm-up request each, so model pages and the shared prefix are in place for all.
  for (const target of targets) await target.send(brief(9999));

  const figures = new Map<string, Measured[]>(targets.map((t) => [t.name, []]));
  for (const concurrency of CONCURRENCY) {
    const rounds = new Map<string, Measured[]>(targets.map((t) => [t.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of targets) {
        rounds.get(target.name)?.push(await measure(target, concurrency));
      }
    }
    for (const target of targets) {
      const all = rounds.get(target.name) ?? [];
      const middle = median(all.map((m) => m.tokens_per_s));
      const chosen = all.find((m) => m.tokens_per_s === middle) as Measured;
      console.log(target.name, JSON.stringify(chosen));
      figures.get(target.name)?.push(chosen);
    }
  }
  return figures;
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

async function startEngineProcess(modelPath: string, threads: number | undefined,
  env: Record<string, string> = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'engine/main.ts'], {
    env: { ...process.env, MODEL_PATH: modelPath, ENGINE_PORT: String(port),
      ENGINE_SLOTS: String(SLOTS), ENGINE_CONTEXT_SIZE: String(CONTEXT_PER_SLOT),
      ENGINE_QUEUE_LIMIT: String(REQUESTS), ENGINE_DRAIN_GRACE_MS: '0',
      ...(threads !== undefined && { ENGINE_THREADS: String(threads) }), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') {
      console.error(`engine exited (${code ?? signal}):\n${log.slice(-3000)}`);
    }
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/ping`, child);
  const layout = /"layout chosen".*?"lanes":(\d+),"threads":(\d+)/.exec(log);
  return { child, url, lanes: Number(layout?.[1] ?? 1), threads: Number(layout?.[2] ?? 1),
    samplesQueueBehindDecode: /"samples_queue_behind_decode":true/.test(log) };
}

/** The prompt tokens the engine renders for a brief, so llama-server gets identical ones. */
async function renderedPrompt(modelPath: string): Promise<(text: string) => number[]> {
  const { getLlama, resolveChatWrapper } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never' });
  const model = await llama.loadModel({ modelPath });
  const wrapper = resolveChatWrapper(model);
  const briefs = new Map<string, number[]>();

  for (let i = -1; i < REQUESTS; i++) {
    const text = brief(i < 0 ? 9999 : i);
    const tokens = wrapper
      ? wrapper.generateContextState({ chatHistory: [{ type: 'system', text: SYSTEM_PROMPT },
        { type: 'user', text }, { type: 'model', response: [] }] }).contextText
        .tokenize(model.tokenizer)
      : model.tokenize(`${SYSTEM_PROMPT}\n${text}`);
    briefs.set(text, Array.from(tokens));
  }

  await model.dispose();
  await llama.dispose();
  return (text) => briefs.get(text) ?? [];
}

async function startLlamaServer(bin: string, modelPath: string, threads: number) {
  const port = await freePort();
  const child = spawn(bin, ['-m', modelPath, '-t', String(threads), '-tb', String(threads),
    '-np', String(SLOTS), '-c', String(SLOTS * CONTEXT_PER_SLOT), '--host', '127.0.0.1',
    '--port', String(port), '--no-webui'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') {
      console.error(`llama-server exited (${code ?? signal}):\n${log}`);
    }
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/health`, child);
  const name = `llama-server ${threads} threads`;
  return { child, url, target: llamaServerTarget(name, url, await renderedPrompt(modelPath)) };
}

/** A figure over rounds: the median and the range. */
interface Spread { median: number; min: number; max: number; runs: number[] }

function spread(runs: number[]): Spread {
  return { median: Math.round(median(runs)), min: Math.round(Math.min(...runs)),
    max: Math.round(Math.max(...runs)), runs: runs.map(Math.round) };
}

/** The loops of `floor` mode: one sequence, 128 new tokens a run, through node-llama-cpp only. */
type FloorLoop = 'decode_only' | 'decode_then_sample' | 'decode_with_queued_sample';

/** The parts of node-llama-cpp's native context the loops call, as the engine calls them. */
type FloorNative = Omit<NativeContext, 'sampleToken' | 'setThreads'> & {
  sampleToken(logitIndex: number, sampler: unknown): Promise<number>;
};

/**
 * Tokens per second of one loop: a greedy sample (or, for `decode_only`, a fixed next token)
 * after each one-token decode, as llama-bench's tg128 decodes one token a step.
 */
async function floorRun(native: FloorNative, sampler: unknown, loop: FloorLoop): Promise<number> {
  native.removeTokenCellsFromSequence(0, 0, -1);
  let token = 1;
  const started = performance.now();

  for (let position = 0; position < 128; position++) {
    native.initBatch(1);
    const [logitIndex] = native.addToBatch(0, position, Uint32Array.of(token), Uint32Array.of(0));
    const decoded = native.decodeBatch();

    if (loop === 'decode_with_queued_sample') {
      // Valid only on a one-thread pool: the sample runs after the decode on that thread.
      const sampled = native.sampleToken(logitIndex as number, sampler);
      await decoded;
      token = await sampled;
    } else {
      await decoded;
      token = loop === 'decode_only' ? 1 + (position % 100)
        : await native.sampleToken(logitIndex as number, sampler);
    }
  }
  return 128 / ((performance.now() - started) / 1000);
}

/** `floor` mode: runs the loops given in turns, 5 runs each after a warm-up; prints JSON. */
async function floorMain(modelPath: string, threads: number, loops: FloorLoop[]): Promise<void> {
  if (loops.includes('decode_with_queued_sample') && process.env.UV_THREADPOOL_SIZE !== '1') {
    throw new Error('decode_with_queued_sample needs UV_THREADPOOL_SIZE=1');
  }
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: 'auto', build: 'never', logLevel: LlamaLogLevel.warn });
  const model = await llama.loadModel({ modelPath, gpuLayers: llama.gpu ? 'max' : 0 });
  const context = await model.createContext({ contextSize: CONTEXT_PER_SLOT, sequences: 1,
    threads, batchSize: 512 });
  const native = (context as unknown as { _ctx: FloorNative })._ctx;
  const bindings = (llama as unknown as { _bindings: {
    AddonSampler: new (model: unknown) => { applyConfig(config: object): void } } })._bindings;
  const sampler = new bindings.AddonSampler((model as unknown as { _model: unknown })._model);
  sampler.applyConfig({ temperature: 0 });

  const runs = new Map<FloorLoop, number[]>(loops.map((loop) => [loop, []]));
  for (const loop of loops) await floorRun(native, sampler, loop);
  for (let round = 0; round < 5; round++) {
    for (const loop of loops) runs.get(loop)?.push(await floorRun(native, sampler, loop));
  }

  console.log(JSON.stringify(Object.fromEntries([...runs].map(([loop, rates]) =>
    [loop, Math.round(median(rates))]))));
  await context.dispose();
  await model.dispose();
  await llama.dispose();
}

/** Runs `floor` mode as its own process (with `env`) and returns its JSON. */
function floorFigures(modelPath: string, threads: number, loops: FloorLoop[],
  env: Record<string, string> = {}): Record<FloorLoop, number> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'test/bench/engine.ts', 'floor',
    modelPath, String(threads), ...loops], { encoding: 'utf8', env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').at(-1) as string);
}

function llamaBenchFigure(bin: string, modelPath: string, threads: number): number {
  const out = execFileSync(bin, ['-m', modelPath, '-t', String(threads), '-p', '0', '-n', '128',
    '-r', '3', '-o', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const rows = JSON.parse(out) as Array<{ avg_ts: number }>;
  return Math.round(rows[0]?.avg_ts ?? 0);
}

const SINGLE_STREAM_ROUNDS = 3;

/** Single-stream figures of each source, with median and range over the rounds. */
interface SingleStream {
  rounds: number;
  engine: Spread & { lanes: number; samples_queue_behind_decode: boolean };
  engine_one_lane: Spread & { lanes: number; samples_queue_behind_decode: boolean };
  node_llama_cpp_floor: Record<FloorLoop, Spread>;
  llama_server?: Spread;
  llama_bench_tg128?: Spread;
  /** The engine with prompt-lookup drafts (ENGINE_DRAFT_TOKENS=4), and the share it kept. */
  engine_with_drafts: Spread & { draft_tokens: number; drafts_accepted_ratio: number | null };
}

type EngineProcess = Awaited<ReturnType<typeof startEngineProcess>>;

/**
 * Single-stream decoding of the engine (its measured layout, and one lane), of node-llama-cpp's
 * own loops, of llama-server (llama.cpp's own serving loop, sampling included) and of
 * llama-bench, taking turns round after round so a shared machine's drift hits them alike.
 */
async function singleStreamInTurns(modelPath: string, engine: EngineProcess,
  oneLane: EngineProcess, drafting: EngineProcess, benchBin: string | undefined,
  serverUrl: string | undefined): Promise<SingleStream> {
  const engineRuns: number[] = [];
  const oneLaneRuns: number[] = [];
  const draftingRuns: number[] = [];
  const serverRuns: number[] = [];
  const benchRuns: number[] = [];
  const floor = new Map<FloorLoop, number[]>();
  const keep = (figures: Record<string, number>) => Object.entries(figures)
    .forEach(([loop, rate]) => floor.set(loop as FloorLoop,
      [...floor.get(loop as FloorLoop) ?? [], rate]));

  for (let round = 0; round < SINGLE_STREAM_ROUNDS; round++) {
    engineRuns.push(await singleStreamDecode(engineStream(engine.url)));
    oneLaneRuns.push(await singleStreamDecode(engineStream(oneLane.url)));
    draftingRuns.push(await singleStreamDecode(engineStream(drafting.url)));
    if (serverUrl) serverRuns.push(await singleStreamDecode(llamaServerStream(serverUrl)));
    keep(floorFigures(modelPath, engine.threads, ['decode_only', 'decode_then_sample']));
    keep(floorFigures(modelPath, engine.threads, ['decode_with_queued_sample'],
      { UV_THREADPOOL_SIZE: '1' }));
    if (benchBin) benchRuns.push(llamaBenchFigure(benchBin, modelPath, engine.threads));
  }

  return {
    rounds: SINGLE_STREAM_ROUNDS,
    engine: { lanes: engine.lanes, samples_queue_behind_decode: engine.samplesQueueBehindDecode,
      ...spread(engineRuns) },
    engine_one_lane: { lanes: oneLane.lanes,
      samples_queue_behind_decode: oneLane.samplesQueueBehindDecode, ...spread(oneLaneRuns) },
    node_llama_cpp_floor: Object.fromEntries([...floor].map(([loop, runs]) =>
      [loop, spread(runs)])) as Record<FloorLoop, Spread>,
    ...(serverRuns.length > 0 && { llama_server: spread(serverRuns) }),
    ...(benchRuns.length > 0 && { llama_bench_tg128: spread(benchRuns) }),
    engine_with_drafts: { ...spread(draftingRuns), draft_tokens: DRAFT_TOKENS,
      drafts_accepted_ratio: await draftAcceptance(drafting.url) },
  };
}

/** Draft tokens the drafting engine is started with. */
const DRAFT_TOKENS = 4;

/** The share of draft tokens an engine kept, from its `/metrics`. */
async function draftAcceptance(url: string): Promise<number | null> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counter = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1]);
  const drafted = counter('adcopy_engine_draft_tokens_total');
  const accepted = counter('adcopy_engine_draft_tokens_accepted_total');
  return drafted > 0 ? Math.round((accepted / drafted) * 100) / 100 : null;
}

async function main(): Promise<void> {
  const modelPath = resolve(process.env.BENCH_MODEL ?? SHARED_TINY_MODEL);
  byteTokens = await byteTokenIds(modelPath);
  const threadsEnv = process.env.BENCH_THREADS ? Number(process.env.BENCH_THREADS) : undefined;

  const engine = await startEngineProcess(modelPath, threadsEnv);
  const serverBin = process.env.LLAMA_SERVER_BIN;
  // llama-server runs with the engine's threads per decode (BENCH_SERVER_THREADS overrides; on a
  // busy 2-core machine 2 threads made it about 50 times slower); with several values the ratio
  // is taken against the fastest.
  const serverThreads = process.env.BENCH_SERVER_THREADS?.split(',').map(Number) ??
    [engine.threads];
  const servers = [];
  for (const threads of serverBin ? serverThreads : []) {
    servers.push(await startLlamaServer(serverBin as string, modelPath, threads));
  }

  let figures: Map<string, Measured[]>;
  let single: SingleStream;
  try {
    figures = await runAll([engineTarget(engine.url), ...servers.map((server) => server.target)]);

    const oneLane = await startEngineProcess(modelPath, engine.threads, { ENGINE_LANES: '1' });
    const drafting = await startEngineProcess(modelPath, engine.threads,
      { ENGINE_DRAFT_TOKENS: String(DRAFT_TOKENS) });
    try {
      single = await singleStreamInTurns(modelPath, engine, oneLane, drafting,
        process.env.LLAMA_BENCH_BIN, servers[0]?.url);
    } finally {
      await stop(oneLane.child);
      await stop(drafting.child);
    }
  } finally {
    await stop(engine.child);
    for (const server of servers) await stop(server.child);
  }
  const engineFigures = figures.get('engine') ?? [];

  const output: Record<string, unknown> = {
    model: modelPath,
    threads: engine.threads,
    lanes: engine.lanes,
    samples_queue_behind_decode: engine.samplesQueueBehindDecode,
    slots: SLOTS,
    workload: { requests: REQUESTS, new_tokens: NEW_TOKENS, sampling: SAMPLING,
      banned_byte_tokens: byteTokens.length,
      system_prompt_chars: SYSTEM_PROMPT.length, rounds: ROUNDS },
    measured_at: new Date().toISOString(),
    engine: engineFigures,
    single_stream_greedy_decode_tokens_per_s: single.engine.median,
    single_stream: single,
  };

  const at8 = (list: Measured[]) => list.find((m) => m.concurrency === 8)?.tokens_per_s ?? 0;
  let bestServer = 0;
  for (const server of servers) {
    const serverFigures = figures.get(server.target.name) ?? [];
    output[server.target.name.replaceAll(' ', '_').replaceAll('-', '_')] = serverFigures;
    bestServer = Math.max(bestServer, at8(serverFigures));
  }
  if (bestServer > 0) {
    output.llama_server_best_tokens_per_s_at_8 = bestServer;
    output.ratio_tokens_per_s = Math.round((at8(engineFigures) / bestServer) * 100) / 100;
  }

  const reference = single.llama_bench_tg128?.median;
  if (reference) {
    const ratio = (rate: number) => Math.round((rate / reference) * 100) / 100;
    output.llama_bench_tg128_tokens_per_s = reference;
    output.single_stream_ratio = ratio(single.engine.median);
    output.single_stream_ratio_one_lane = ratio(single.engine_one_lane.median);
    output.single_stream_ratio_with_drafts = ratio(single.engine_with_drafts.median);
    if (single.llama_server) {
      output.single_stream_ratio_llama_server = ratio(single.llama_server.median);
    }
    output.node_llama_cpp_floor_ratio = Object.fromEntries(Object.entries(
      single.node_llama_cpp_floor).map(([loop, figure]) => [loop, ratio(figure.median)]));
  }

  const file = resolve('test/bench/results/engine.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  console.log(`wrote ${file}`);
  console.log(JSON.stringify({ ratio_tokens_per_s: output.ratio_tokens_per_s,
    single_stream_ratio: output.single_stream_ratio,
    single_stream_ratio_one_lane: output.single_stream_ratio_one_lane,
    single_stream_ratio_with_drafts: output.single_stream_ratio_with_drafts,
    drafts_accepted_ratio: single.engine_with_drafts.drafts_accepted_ratio,
    single_stream_ratio_llama_server: output.single_stream_ratio_llama_server,
    node_llama_cpp_floor_ratio: output.node_llama_cpp_floor_ratio }));
}

const [mode, floorModel, floorThreads, ...floorLoops] = process.argv.slice(2);
const run = mode === 'floor'
  ? floorMain(floorModel as string, Number(floorThreads), floorLoops as FloorLoop[])
  : main();
run.catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
