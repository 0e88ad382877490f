/**
 * @module
 * Starting and stopping a whole engine: model, scheduler, metrics and HTTP server.
 */

import type { AddressInfo } from 'node:net';

import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';

import { LlamaBackend } from './backends/llama/backend.js';
import type { LayoutChoice } from './backends/llama/backend.js';
import { DEFAULT_DRAFT_TOKENS, DEFAULT_SLOTS } from './config.js';
import { EngineMetrics } from './metrics.js';
import { VocabularyIndex } from './scheduler/bad-words.js';
import { Scheduler } from './scheduler/scheduler.js';
import type { EngineLogger } from './scheduler/types.js';
import { createEngineApp } from './server.js';
import type { EngineCore } from './server.js';

/** What a random-weight model's id carries, so nobody mistakes its text for a real model's. */
export const RANDOM_WEIGHTS_NOTE = 'random weights: writes random text';

const DEFAULT_CONTEXT_SIZE = 2048;

/** Options of {@link startEngine}. */
export interface EngineOptions {
  /** The GGUF file to serve. */
  modelPath: string;
  /** Model id reported in every response. @default the model's metadata name */
  modelId?: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 8080 */
  port?: number;
  /** Sequence slots (concurrent generations). @default 8 */
  slots?: number;
  /** KV cells per slot: prompt plus new tokens of one candidate. @default 2048 */
  contextSize?: number;
  /** CPU threads of each lane; unset measures and picks. */
  threads?: number;
  /** Contexts decoding at the same time; unset measures and picks. */
  lanes?: number;
  /** GPU layers; unset offloads all when a GPU backend is found. */
  gpuLayers?: number;
  /**
   * Threads of the native work pool the process started with (UV_THREADPOOL_SIZE); 1 queues
   * each sample behind its decode and keeps to one lane. @default 4, Node's default
   */
  poolThreads?: number;
  /** A layout already measured ({@link measureLayout}); unset measures at start. */
  layout?: LayoutChoice;
  /** Requests that may wait for a slot before 429. @default 64 */
  queueLimit?: number;
  /** Largest max_new_tokens. @default 1024 */
  maxNewTokens?: number;
  /** How long SIGTERM draining waits for running requests. @default 30000 */
  drainGraceMs?: number;
  /**
   * Most draft tokens (prompt lookup) decoded after each sampled token while a lane serves few
   * streams; 0 turns speculative decoding off. @default {@link DEFAULT_DRAFT_TOKENS}
   */
  draftTokens?: number;
  /**
   * Most milliseconds a streamed token waits to share one write with the tokens after it; a
   * stream's first token and its end are written at once. 0 writes every token alone.
   * @default 5
   */
  streamFlushMs?: number;
  /** Embedded-metric log interval; 0 turns the lines off. @default 10000 */
  emfIntervalMs?: number;
  /** Called with the base URL once listening, before the model has loaded. */
  onListening?: (url: string) => void;
  logger: EngineLogger;
}

/** A started engine. */
export interface RunningEngine {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  modelId: string;
  /** Stops admitting, lets running requests finish within `graceMs`, then closes everything. */
  drain(graceMs?: number): Promise<void>;
  /** Cancels what runs and closes everything. */
  close(): Promise<void>;
}

function listen(app: { fetch: (request: Request) => Response | Promise<Response> },
  host: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(server));
    server.once('error', reject);
  });
}

/** Stops listening; idle keep-alive connections close now, busy ones after `lingerMs`. */
function closeServer(server: ServerType, lingerMs: number): Promise<void> {
  const http = server as unknown as { closeIdleConnections?(): void; closeAllConnections?(): void };

  return new Promise((resolve) => {
    server.close(() => resolve());
    http.closeIdleConnections?.();
    setTimeout(() => http.closeAllConnections?.(), lingerMs).unref();
  });
}

/** True when a GPU backend is found (the model would be offloaded to it); loads no model. */
export function findsGpu(): Promise<boolean> {
  return LlamaBackend.findsGpu();
}

/** A measured layout, and whether the model runs on a GPU. */
export type MeasuredLayout = LayoutChoice & { gpu: boolean };

/**
 * Measures the layout {@link startEngine} would choose, without serving, and frees the model
 * again; pass the result back as `layout` so the figures are not taken twice.
 */
export function measureLayout(options: EngineOptions): Promise<MeasuredLayout> {
  return LlamaBackend.measureLayout({
    modelPath: options.modelPath,
    slots: options.slots ?? DEFAULT_SLOTS,
    contextSize: options.contextSize ?? DEFAULT_CONTEXT_SIZE,
    threads: options.threads,
    lanes: options.lanes,
    gpuLayers: options.gpuLayers,
    poolThreads: options.poolThreads,
    logger: options.logger,
  });
}

/**
 * Loads the model and serves the engine over HTTP.
 * @example
 * const engine = await startEngine({ modelPath, port: 0, slots: 4, logger });
 * await fetch(`${engine.url}/invocations`, { method: 'POST', body: '{"prompt":"Hi"}' });
 * await engine.close();
 */
export async function startEngine(options: EngineOptions): Promise<RunningEngine> {
  const { logger } = options;
  const slots = options.slots ?? DEFAULT_SLOTS;
  const contextSize = options.contextSize ?? DEFAULT_CONTEXT_SIZE;
  const host = options.host ?? '127.0.0.1';

  // Listen first: SageMaker pings while the model loads, and gets 503 `loading` until it is up.
  let core: EngineCore | undefined;
  const server = await listen(createEngineApp(() => core), host, options.port ?? 8080);
  // Longer than the load balancers' idle timeout in front of it, so they close first (no race).
  (server as { keepAliveTimeout?: number }).keepAliveTimeout = 65_000;
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  options.onListening?.(url);

  let backend: LlamaBackend;
  try {
    backend = await LlamaBackend.load({
      modelPath: options.modelPath,
      slots,
      contextSize,
      threads: options.threads,
      lanes: options.lanes,
      gpuLayers: options.gpuLayers,
      poolThreads: options.poolThreads,
      layout: options.layout,
      logger,
    });
  } catch (error) {
    await closeServer(server, 0);
    throw error;
  }

  const vocabulary = new VocabularyIndex(backend.vocabularySize, backend.tokenBytes);
  let scheduler: Scheduler | undefined;
  const metrics = new EngineMetrics(() => ({
    queueDepth: scheduler?.queueDepth ?? 0,
    busySlots: scheduler?.busySlots ?? 0,
    slotCount: slots,
  }));
  scheduler = new Scheduler(backend, { queueLimit: options.queueLimit ?? 64, logger,
    observer: metrics, draftTokens: options.draftTokens ?? DEFAULT_DRAFT_TOKENS });

  const modelId = options.modelId ?? backend.modelName;
  core = {
    modelId,
    limits: {
      maxNewTokens: options.maxNewTokens ?? 1024,
      contextSize: backend.slotContextSize,
      maxCandidates: Math.min(8, slots),
      vocabularySize: backend.vocabularySize,
    },
    scheduler,
    tokenizer: backend,
    vocabulary,
    metrics,
    logger,
    streamFlushMs: options.streamFlushMs ?? 5,
  };
  if ((options.emfIntervalMs ?? 10_000) > 0) metrics.startEmf(options.emfIntervalMs);

  logger.info('engine serving', { url, model: modelId, slots, context_per_slot: contextSize,
    lanes: backend.lanes, threads: backend.threads, gpu_layers: backend.gpuLayers,
    samples_queue_behind_decode: backend.samplesQueueBehindDecode });

  let closing: Promise<void> | undefined;
  const shutdown = (graceMs: number) => (closing ??= (async () => {
    const deadline = performance.now() + graceMs;
    await (scheduler as Scheduler).drain(graceMs);
    await (scheduler as Scheduler).close();
    metrics.stopEmf();
    // Streams of requests that just finished may still be flushing to slow readers: they get
    // the rest of the grace period (at least a second) before their connections are cut.
    await closeServer(server, Math.max(1_000, deadline - performance.now()));
    await backend.close();
    logger.info('engine stopped', { url });
  })());

  return {
    url,
    modelId,
    drain: (graceMs = options.drainGraceMs ?? 30_000) => shutdown(graceMs),
    close: () => shutdown(0),
  };
}
