/**
 * API benchmark: what the HTTP layer costs on top of the work it fronts.
 *
 * - Cache hits under load: the API served by its Node server (`startApi`, INFO logging, one API
 *   key, the production middleware) against a bare `node:http` server answering the same JSON
 *   bytes, both driven by the same autocannon load (keep-alive connections, one request in flight
 *   on each), in alternating rounds. `hit_rps_ratio` = API / bare requests per second (medians).
 *   A one-route Hono app answering the same bytes shows what the framework alone costs.
 * - Cache misses: distinct briefs, one at a time, through an engine that answers instantly in the
 *   API's own process, so every millisecond left is the API's (validation, compliance, prompt,
 *   variant checks, cache write, logging, HTTP). `miss_overhead_p99_ms` = p99 of (miss latency
 *   minus the engine time the answer reports) minus the bare server's median latency, which is
 *   the loopback and client cost every request pays anyway. Bare requests are interleaved with
 *   the misses, and `bare_noise_p99_ms` is what the same formula gives the bare server itself;
 *   `miss_server_p99_ms` is timed inside the API process (head parsed to last byte written), so
 *   it holds no client or loopback time at all.
 * - Where the time goes: server CPU per cache hit under load for the API as deployed, with logging
 *   at ERROR (no per-answer event line), without API keys, Hono alone and bare; and the
 *   in-process CPU of single stages.
 *
 * Each server runs in its own child process, so the load generator never shares its event loop.
 * Server CPU time per request is reported beside every wall-clock figure: on a shared machine it
 * moves far less than throughput does. Writes test/bench/results/api.json.
 * Run: npm run bench:api (BENCH_SECONDS=n per round; BENCH_CPU_PROF=1 writes V8 CPU profiles of
 * the API child to .tmp/api-prof).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Logger } from '@aws-lambda-powertools/logger';
import { serve as serveNode } from '@hono/node-server';
import autocannon from 'autocannon';
import { Hono } from 'hono';

import { createApiDeps, readApiConfig, startApi } from '../../functions/api/index.js';
import { MemoryCacheStore, ReadThroughCache } from '../../layers/cache/index.js';
import { createCopyPipeline, parseBrief } from '../../layers/copy/index.js';
import type { Engine, EngineRequest, EngineResponse } from '../../layers/engine-client/index.js';
import { FIELD_CASE_BRIEF } from '../helpers/briefs.js';

const RESULT_FILE = resolve('test/bench/results/api.json');
const ROUND_SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = 3;
const CONNECTIONS = 10;
const MISS_REQUESTS = 1000;
const KEY = 'adk_bench-key';
const BRIEF = { ...FIELD_CASE_BRIEF, features: [...FIELD_CASE_BRIEF.features] };

// Three clearly different lawful copies: every candidate passes the checks, so answers are cached.
const COPY = [
  { headline: '冷泡乌龙上新', body: '冷萃12小时，0糖也有回甘。', cta: '今天就来一瓶' },
  {
    headline: '午后来点清爽',
    body: '一口乌龙香，办公桌上的小假期。',
    cta: '点击下单',
  },
  {
    headline: '轻松一夏',
    body: '通勤路上随手一瓶，茶香陪你到傍晚。',
    cta: '马上尝鲜',
  },
];

/** An engine that answers at once, in process: what is left of a request's time is the API's. */
const instantEngine: Engine = {
  name: 'instant',
  generate: async (request) => answer(request),
  stream: async function* instantStream(request) {
    yield { type: 'done', response: answer(request) };
  },
};

function answer(request: EngineRequest): EngineResponse {
  const n = request.n ?? 1;
  return {
    id: 'gen_instant',
    model: 'instant',
    generations: Array.from({ length: n }, (_, index) => ({
      index,
      text: copyText(COPY[index % COPY.length]!, request.json_schema !== undefined),
      finish_reason: 'stop' as const,
      completion_tokens: 24,
    })),
    usage: { prompt_tokens: 300, cached_prompt_tokens: 0, completion_tokens: 24 * n },
    timings: { queue_ms: 0, ttft_ms: 0, total_ms: 0 },
  };
}

/** The copy as the pipeline asks for it: JSON when it sends a schema, labelled lines otherwise. */
function copyText(copy: { headline: string; body: string; cta: string }, json: boolean): string {
  if (json) return JSON.stringify(copy);
  return `标题：${copy.headline}\n正文：${copy.body}\n行动号召：${copy.cta}`;
}

/** How a child serves: the API as deployed or varied, a one-route Hono app, or the bare server. */
type ServerKind = 'api' | 'api-no-replay' | 'api-logs-error' | 'api-no-key' | 'hono' | 'bare';

/** Child process: serve `kind` and report the port over IPC. */
async function serve(kind: ServerKind): Promise<void> {
  // A normal exit, so that --cpu-prof writes its profile.
  process.once('SIGINT', () => process.exit(0));
  // CPU time so far: the parent tells cost per request apart from waiting on a busy machine.
  process.on('message', (message) => {
    if (message === 'server-ms') {
      process.send?.({ serverMs: serverMs.splice(0) });
      return;
    }
    if (message !== 'cpu') return;
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuUs: user + system });
  });

  const port =
    kind === 'bare'
      ? await serveBare()
      : kind === 'hono'
        ? await serveHono()
        : await serveApi(kind);
  process.send?.({ port });
}

async function serveApi(kind: ServerKind): Promise<number> {
  const config = readApiConfig({
    ...(kind !== 'api-no-key' && { API_KEYS: `bench:${sha256(KEY)}` }),
    RATE_LIMIT_PER_SECOND: '1000000000',
    RATE_LIMIT_BURST: '1000000000',
    ...(kind === 'api-no-replay' && { HIT_REPLAY_MS: '0' }),
  });
  const logLevel = kind === 'api-logs-error' ? 'ERROR' : 'INFO';
  const logger = new Logger({ serviceName: 'adcopy-api', logLevel });
  const api = await startApi(createApiDeps(config, { engine: instantEngine, logger }), { port: 0 });
  timeRequests(api.server);
  return Number(new URL(api.url).port);
}

/** Milliseconds each request spent in this server process since the last report. */
const serverMs: number[] = [];

/**
 * Times each request from its parsed head to the last byte handed to the socket; prepended, so
 * the clock starts before the app's own listener runs.
 */
function timeRequests(server: Server): void {
  server.prependListener('request', (_request, response) => {
    const started = performance.now();
    response.once('finish', () => serverMs.push(performance.now() - started));
  });
}

function serveBare(): Promise<number> {
  const body = Buffer.from(process.env.BENCH_BARE_BODY ?? '{}');
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': body.length,
      });
      response.end(body);
    });
  });
  return new Promise((resolvePort) => {
    server.listen(0, '127.0.0.1', () => resolvePort((server.address() as { port: number }).port));
  });
}

/** The framework alone: Hono on @hono/node-server, one route that reads the body and answers. */
function serveHono(): Promise<number> {
  const body = process.env.BENCH_BARE_BODY ?? '{}';
  const app = new Hono();
  app.post('/v1/copies', async (c) => {
    await c.req.text();
    return c.body(body, 200, { 'content-type': 'application/json' });
  });
  return new Promise((resolvePort) => {
    serveNode({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
      resolvePort(info.port),
    );
  });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

interface Child {
  url: string;
  process: ChildProcess;
}

/** Starts `kind` in a child process; the API's logs go where production's would: stdout. */
async function startChild(kind: ServerKind, bareBody?: string): Promise<Child> {
  const profile = process.env.BENCH_CPU_PROF === '1' && kind === 'api';
  const child = fork(fileURLToPath(import.meta.url), ['--serve', kind], {
    execArgv: [
      '--import',
      'tsx',
      ...(profile ? ['--cpu-prof', '--cpu-prof-dir=.tmp/api-prof'] : []),
    ],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, ...(bareBody !== undefined && { BENCH_BARE_BODY: bareBody }) },
  });

  const port = await new Promise<number>((resolvePort, reject) => {
    child.once('message', (message: { port: number }) => resolvePort(message.port));
    child.once('exit', (code) => reject(new Error(`the ${kind} server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, process: child };
}

async function stopChild(child: Child): Promise<void> {
  const exited = new Promise((done) => child.process.once('exit', done));
  child.process.kill('SIGINT');
  await exited;
}

/** The request times the API child measured since the last call, in milliseconds. */
function serverMsOf(child: Child): Promise<number[]> {
  return new Promise((resolveTimes) => {
    child.process.once('message', (message: { serverMs: number[] }) =>
      resolveTimes(message.serverMs),
    );
    child.process.send('server-ms');
  });
}

/** The child's CPU time so far, in microseconds (user + system). */
function cpuOf(child: Child): Promise<number> {
  return new Promise((resolveCpu) => {
    child.process.once('message', (message: { cpuUs: number }) => resolveCpu(message.cpuUs));
    child.process.send('cpu');
  });
}

const HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };

function post(url: string, brief: object): Promise<Response> {
  return fetch(`${url}/v1/copies`, {
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify(brief),
  });
}

/** The API's cached answer to the benchmark brief; fails unless the brief is now a cache hit. */
async function warmAnswer(api: Child): Promise<string> {
  await post(api.url, BRIEF);
  const second = await post(api.url, BRIEF);
  const text = await second.text();
  const cached = second.status === 200 && (JSON.parse(text) as { cached?: boolean }).cached;
  if (!cached) throw new Error(`the benchmark brief is not served from cache: ${text}`);
  return text;
}

interface LoadFigures {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  /** Server CPU time per request: what a request costs, whatever else the machine is doing. */
  server_cpu_us_per_request: number;
  non2xx: number;
  errors: number;
}

/** One autocannon round against `server`: a warm-up second, then `ROUND_SECONDS` measured. */
async function load(server: Child): Promise<LoadFigures> {
  const options = {
    url: `${server.url}/v1/copies`,
    method: 'POST' as const,
    body: JSON.stringify(BRIEF),
    headers: HEADERS,
    connections: CONNECTIONS,
    pipelining: 1,
  };
  await autocannon({ ...options, duration: 1 });
  const cpuBefore = await cpuOf(server);
  const result = await autocannon({ ...options, duration: ROUND_SECONDS });
  const cpuUs = (await cpuOf(server)) - cpuBefore;

  return {
    rps: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    requests: result.requests.total,
    server_cpu_us_per_request: Math.round(cpuUs / Math.max(1, result.requests.total)),
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function measureHits() {
  const api: LoadFigures[] = [];
  const hono: LoadFigures[] = [];
  const bare: LoadFigures[] = [];
  let responseBytes = 0;

  for (let round = 0; round < ROUNDS; round += 1) {
    const apiChild = await startChild('api');
    const hitBody = await warmAnswer(apiChild);
    responseBytes = Buffer.byteLength(hitBody);
    api.push(await load(apiChild));
    await stopChild(apiChild);

    for (const [kind, figures] of [
      ['hono', hono],
      ['bare', bare],
    ] as const) {
      const child = await startChild(kind, hitBody);
      figures.push(await load(child));
      await stopChild(child);
    }
  }
  return { api, hono, bare, responseBytes };
}

/** One request's latency and the engine time its answer reports. */
async function timed(send: () => Promise<Reply>, { fresh = false } = {}) {
  const started = performance.now();
  const reply = await send();
  const ms = performance.now() - started;
  const body = JSON.parse(reply.text) as { cached?: boolean; timings?: { engineMs: number } };
  if (reply.status !== 200) throw new Error(`a request answered ${reply.status}`);
  if (fresh && body.cached !== false) throw new Error('a request was not a cache miss');
  return { ms, engineMs: body.timings?.engineMs ?? 0 };
}

interface Reply {
  status: number;
  text: string;
}

/**
 * A keep-alive `node:http` client for the latency series: measured against the bare server here,
 * `fetch` added 0.15 to 0.3 ms at p50 and up to 3 ms at p99 of its own, which is neither server's.
 */
function rawClient(url: string): (brief: object) => Promise<Reply> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return (brief) =>
    new Promise((resolveReply, reject) => {
      const body = JSON.stringify(brief);
      const headers = { ...HEADERS, 'content-length': Buffer.byteLength(body) };
      const sent = request(`${url}/v1/copies`, { method: 'POST', agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolveReply({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
          }),
        );
      });
      sent.on('error', reject);
      sent.end(body);
    });
}

/**
 * Distinct briefs one at a time, each followed by a request to the bare server, so that both
 * series see the same moments of a shared machine; the bare series' own spread is the noise
 * floor that any p99 taken here carries.
 */
async function measureMisses() {
  const apiChild = await startChild('api');
  const bareChild = await startChild('bare', JSON.stringify({ timings: { engineMs: 0 } }));
  const postApi = rawClient(apiChild.url);
  const postBare = rawClient(bareChild.url);
  const distinct = (i: number) => () => postApi({ ...BRIEF, features: ['0糖', `批次${i}`] });
  const bareOne = (i: number) => () => postBare({ ...BRIEF, i });

  for (let i = 0; i < 200; i += 1) {
    await timed(distinct(1_000_000 + i), { fresh: true });
    await timed(bareOne(i));
  }
  const own: number[] = [];
  const bare: number[] = [];
  await serverMsOf(apiChild);
  const cpuBefore = await cpuOf(apiChild);
  for (let i = 0; i < MISS_REQUESTS; i += 1) {
    const miss = await timed(distinct(i), { fresh: true });
    own.push(miss.ms - miss.engineMs);
    bare.push((await timed(bareOne(i))).ms);
  }
  const missCpuUs = ((await cpuOf(apiChild)) - cpuBefore) / MISS_REQUESTS;
  // The engine answers in no time, so a request's time in the API process is the API's own.
  const inServer = await serverMsOf(apiChild);
  await stopChild(apiChild);
  await stopChild(bareChild);

  const bareP50 = percentile(bare, 50);
  return {
    miss_latency_p50_ms: round(percentile(own, 50)),
    miss_latency_p99_ms: round(percentile(own, 99)),
    bare_latency_p50_ms: round(bareP50),
    bare_latency_p99_ms: round(percentile(bare, 99)),
    miss_overhead_p50_ms: round(percentile(own, 50) - bareP50),
    miss_overhead_p99_ms: round(percentile(own, 99) - bareP50),
    // What the same formula gives the bare server itself: the machine's share of any p99 here.
    bare_noise_p99_ms: round(percentile(bare, 99) - bareP50),
    // Inside the API process, head parsed to last byte written: no client or loopback in it.
    miss_server_p50_ms: round(percentile(inServer, 50)),
    miss_server_p99_ms: round(percentile(inServer, 99)),
    miss_server_cpu_us_per_request: Math.round(missCpuUs),
  };
}

/**
 * Server CPU per cache hit under the same load, for the API as deployed and varied: every hit
 * through the full path (no replay), without its per-answer `copy_generated` line (logging at
 * ERROR), without API keys; Hono alone; bare.
 */
async function measureBreakdown(hitBody: string): Promise<Record<ServerKind, number>> {
  const figures = {} as Record<ServerKind, number>;
  const kinds = ['api', 'api-no-replay', 'api-logs-error', 'api-no-key', 'hono', 'bare'] as const;
  for (const kind of kinds) {
    const child = await startChild(kind, hitBody);
    if (kind.startsWith('api')) await warmAnswer(child);
    figures[kind] = (await load(child)).server_cpu_us_per_request;
    await stopChild(child);
  }
  return figures;
}

/** In-process CPU of single stages of a cache hit, in microseconds per call. */
async function measureStages(): Promise<Record<string, number>> {
  const parsed = parseBrief(BRIEF);
  if (!parsed.success) throw new Error('the benchmark brief is invalid');
  const cache = new ReadThroughCache({ store: new MemoryCacheStore() });
  const pipeline = createCopyPipeline({ engine: instantEngine, cache });
  const hit = await pipeline.generate(parsed.data);
  const logger = new Logger({ serviceName: 'adcopy-api', logLevel: 'INFO' });
  const summary = { request_id: 'req', method: 'POST', path: '/v1/copies', status: 200 };
  // The stage's log line must cost what it costs on a real stdout, without filling the terminal.
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;

  try {
    return {
      parse_brief: await cpuPerCall(() => parseBrief(BRIEF)),
      pipeline_generate_hit: await cpuPerCall(() => pipeline.generate(parsed.data)),
      log_line_info: await cpuPerCall(() => logger.info('request', summary)),
      json_stringify_answer: await cpuPerCall(() => JSON.stringify(hit)),
      sha256_api_key: await cpuPerCall(() => sha256(KEY)),
    };
  } finally {
    process.stdout.write = write;
  }
}

async function cpuPerCall(stage: () => unknown, calls = 20_000): Promise<number> {
  for (let i = 0; i < 2000; i += 1) await stage();
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i += 1) await stage();
  const { user, system } = process.cpuUsage(before);
  return round((user + system) / calls);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? 0;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function median(values: number[]): number {
  return percentile(values, 50);
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0] ?? 0;
  const hits = await measureHits();
  const misses = await measureMisses();
  const hitBody = await (async () => {
    const api = await startChild('api');
    const body = await warmAnswer(api);
    await stopChild(api);
    return body;
  })();
  const breakdown = await measureBreakdown(hitBody);
  const stages = await measureStages();

  const apiRps = median(hits.api.map((figures) => figures.rps));
  const honoRps = median(hits.hono.map((figures) => figures.rps));
  const bareRps = median(hits.bare.map((figures) => figures.rps));
  const result = {
    hit_rps_ratio: round(apiRps / bareRps),
    miss_overhead_p99_ms: misses.miss_overhead_p99_ms,
    targets: { hit_rps_ratio_min: 0.6, miss_overhead_p99_ms_max: 2 },
    hit: {
      api_rps: apiRps,
      hono_rps: honoRps,
      bare_rps: bareRps,
      // Framework alone against bare: what Hono and its Node adapter cost before any API work.
      hono_rps_ratio: round(honoRps / bareRps),
      // The least disturbed round of each: on a shared machine, the closest to an idle one.
      best_rps_ratio: round(
        Math.max(...hits.api.map((f) => f.rps)) / Math.max(...hits.bare.map((f) => f.rps)),
      ),
      api_server_cpu_us_per_request: median(hits.api.map((f) => f.server_cpu_us_per_request)),
      hono_server_cpu_us_per_request: median(hits.hono.map((f) => f.server_cpu_us_per_request)),
      bare_server_cpu_us_per_request: median(hits.bare.map((f) => f.server_cpu_us_per_request)),
      api_p99_ms: median(hits.api.map((figures) => figures.p99_ms)),
      bare_p99_ms: median(hits.bare.map((figures) => figures.p99_ms)),
      response_bytes: hits.responseBytes,
      rounds: { api: hits.api, hono: hits.hono, bare: hits.bare },
    },
    miss: { requests: MISS_REQUESTS, ...misses },
    breakdown: {
      server_cpu_us_per_hit_under_load: breakdown,
      // The ratio a server-bound run reaches when each server has a core of its own.
      cpu_bound_hit_ratio: round(breakdown.bare / breakdown.api),
      in_process_cpu_us_per_call: stages,
    },
    method: {
      load:
        `autocannon, ${CONNECTIONS} keep-alive connections, pipelining 1, 1 s warm-up then ` +
        `${ROUND_SECONDS} s per round, ${ROUNDS} rounds of API, Hono alone, bare; medians`,
      api:
        'startApi in a child process: INFO access log to stdout, one API key, rate limit ' +
        'lifted, in-memory cache, engine answering in-process with zero engine time',
      bare: "node:http in a child process: reads the body, answers the API's own cache-hit bytes",
      hono: 'Hono on @hono/node-server in a child process, one route answering the same bytes',
      miss:
        `${MISS_REQUESTS} distinct briefs one at a time over node:http keep-alive after 200 ` +
        'warm-up, each followed by one bare request; overhead = latency - engine time ' +
        'reported - bare median latency; bare_noise_p99_ms = bare p99 - bare median',
      breakdown:
        'one autocannon round per server variant (as the load above); server CPU (user + ' +
        'system) per request',
    },
    load_average_1m: { before: round(loadBefore), after: round(loadavg()[0] ?? 0) },
    cores: cpus().length,
    node: process.version,
    measured_at: new Date().toISOString(),
  };

  mkdirSync(dirname(RESULT_FILE), { recursive: true });
  writeFileSync(RESULT_FILE, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt >= 0) await serve((process.argv[serveAt + 1] ?? 'bare') as ServerKind);
else await main();
