/**
 * Engine-client benchmark: what each client adds on top of a bare HTTP call, measured against a
 * local server that answers at once (so every microsecond left is the client's and loopback's).
 *
 * - `generate`: one JSON answer; raw `fetch` + `JSON.parse` against `HttpEngine` and
 *   `SageMakerEngine` (the real AWS SDK: request signing, error parsing).
 * - `stream`: 64 token events and `done`; a raw byte read against each client's full parse
 *   (SSE, and for SageMaker the AWS event-stream framing around it).
 * `overhead_p50_us`: HttpEngine p50 minus raw fetch p50; SageMakerEngine p50 minus the bare SDK
 * call's p50 (the SDK's own cost is shown apart, as `bare_sdk`).
 *
 * Writes test/bench/results/engine-client.json. Run: npm run bench:engine-client (BENCH_OPS=n).
 */
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';

import {
  InvokeEndpointCommand,
  InvokeEndpointWithResponseStreamCommand,
  SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import { EventStreamCodec } from '@smithy/eventstream-codec';

import {
  HttpEngine,
  SageMakerEngine,
  type Engine,
  type EngineResponse,
} from '../../layers/engine-client/index.js';

const RESULT_FILE = resolve('test/bench/results/engine-client.json');
const OPS = Number(process.env.BENCH_OPS ?? 2000);
const TOKENS = 64;

const answer: EngineResponse = {
  id: 'gen_bench',
  model: 'bench',
  generations: [
    { index: 0, text: '冷泡乌龙'.repeat(16), finish_reason: 'length', completion_tokens: 64 },
  ],
  usage: { prompt_tokens: 230, cached_prompt_tokens: 212, completion_tokens: 64 },
  timings: { queue_ms: 0, ttft_ms: 0, total_ms: 0 },
};
const answerJson = JSON.stringify(answer);
const sse =
  Array.from({ length: TOKENS }, () => 'event: token\ndata: {"index":0,"text":"乌龙"}\n\n').join(
    '',
  ) + `event: done\ndata: ${answerJson}\n\n`;

const codec = new EventStreamCodec(
  (bytes) => new TextDecoder().decode(bytes),
  (text) => new TextEncoder().encode(text),
);
/** The SSE text cut into one PayloadPart frame per event, as the engine's SageMaker path sends it. */
const framed = Buffer.concat(
  sse.split(/(?<=\n\n)/).map((event) =>
    codec.encode({
      headers: {
        ':message-type': { type: 'string', value: 'event' },
        ':event-type': { type: 'string', value: 'PayloadPart' },
        ':content-type': { type: 'string', value: 'application/octet-stream' },
      },
      body: Buffer.from(event),
    }),
  ),
);

/** Answers every path at once: JSON, SSE, or event-stream framing by path and body. */
const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (part: Buffer) => parts.push(part));
  req.on('end', () => {
    const stream = (JSON.parse(Buffer.concat(parts).toString()) as { stream?: boolean }).stream;
    if (req.url?.endsWith('invocations-response-stream')) {
      res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
      res.end(framed);
    } else if (stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sse);
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(answerJson);
    }
  });
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const address = server.address();
if (address === null || typeof address === 'string') throw new Error('no TCP address');
const url = `http://127.0.0.1:${address.port}`;

const ROUNDS = 3;

/** p50 and p99 in microseconds of a list of samples. */
function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Number((sorted[Math.floor(q * (sorted.length - 1))] ?? 0).toFixed(1));
  return { p50_us: at(0.5), p99_us: at(0.99) };
}

/**
 * Times every call kind in turn, `ROUNDS` times over, so that machine noise and JIT warm-up fall
 * on all of them alike rather than on whichever ran first.
 */
async function timeAll<K extends string>(calls: Record<K, () => Promise<unknown>>) {
  const names = Object.keys(calls) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<
    K,
    number[]
  >;
  for (const name of names) for (let i = 0; i < 200; i++) await calls[name]();

  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      for (let i = 0; i < OPS / ROUNDS; i++) {
        const started = performance.now();
        await calls[name]();
        samples[name].push((performance.now() - started) * 1000);
      }
    }
  }
  return Object.fromEntries(names.map((name) => [name, percentiles(samples[name])])) as Record<
    K,
    { p50_us: number; p99_us: number }
  >;
}

/** A raw POST that reads the body as text. */
async function raw(path: string, body: object): Promise<string> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return response.text();
}

/** Reads a client's stream to its end. */
async function drain(engine: Engine): Promise<number> {
  let events = 0;
  for await (const _event of engine.stream({ prompt: 'tea' })) events++;
  if (events !== TOKENS + 1) throw new Error(`expected ${TOKENS + 1} events, got ${events}`);
  return events;
}

const sdk = new SageMakerRuntimeClient({
  endpoint: url,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' },
  maxAttempts: 1,
});
const http = new HttpEngine({ baseUrl: url });
const sagemaker = new SageMakerEngine({ endpointName: 'bench', client: sdk });
const body = (stream: boolean) => new TextEncoder().encode(JSON.stringify({ prompt: 't', stream }));

try {
  const t = await timeAll({
    rawGenerate: async () => JSON.parse(await raw('/invocations', { prompt: 't' })),
    sdkGenerate: () =>
      sdk.send(new InvokeEndpointCommand({ EndpointName: 'b', Body: body(false) })),
    httpGenerate: () => http.generate({ prompt: 'tea' }),
    smGenerate: () => sagemaker.generate({ prompt: 'tea' }),
    rawStream: () => raw('/invocations', { prompt: 'tea', stream: true }),
    sdkStream: async () => {
      const command = new InvokeEndpointWithResponseStreamCommand({
        EndpointName: 'b',
        Body: body(true),
      });
      const output = await sdk.send(command);
      for await (const _part of output.Body ?? []) continue;
    },
    httpStream: () => drain(http),
    smStream: () => drain(sagemaker),
  });

  const over = (client: { p50_us: number }, base: { p50_us: number }) =>
    Number((client.p50_us - base.p50_us).toFixed(1));
  const result = {
    benchmark: 'engine-client',
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    ops_per_figure: OPS,
    note: 'overhead_p50_us: HttpEngine over raw fetch; SageMakerEngine over the bare SDK call',
    generate: {
      raw_fetch: t.rawGenerate,
      bare_sdk: t.sdkGenerate,
      http_engine: { ...t.httpGenerate, overhead_p50_us: over(t.httpGenerate, t.rawGenerate) },
      sagemaker_engine: { ...t.smGenerate, overhead_p50_us: over(t.smGenerate, t.sdkGenerate) },
    },
    stream: {
      token_events: TOKENS,
      raw_fetch_text: t.rawStream,
      bare_sdk_frames: t.sdkStream,
      http_engine: { ...t.httpStream, overhead_p50_us: over(t.httpStream, t.rawStream) },
      sagemaker_engine: { ...t.smStream, overhead_p50_us: over(t.smStream, t.sdkStream) },
    },
  };
  mkdirSync(dirname(RESULT_FILE), { recursive: true });
  writeFileSync(RESULT_FILE, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  server.closeAllConnections();
  server.close();
}
