/**
 * @module
 * Engine settings from the environment (the container's only configuration surface).
 */

import type { EngineOptions } from './engine.js';

/** Environment variables the engine reads, with their meaning. */
export const ENGINE_ENV = {
  MODEL_PATH: 'GGUF file to serve; unset uses MODEL_DIR, then the dev model (random weights)',
  MODEL_DIR: 'folder whose first .gguf (top, else one folder down) is served when MODEL_PATH ' +
    'is unset (/opt/ml/model); none found is an error',
  MODEL_ID: 'model id reported in responses; default the model metadata name',
  ENGINE_HOST: 'listen address; default 127.0.0.1 (the container entry sets 0.0.0.0)',
  ENGINE_PORT: 'listen port; default 8080',
  ENGINE_SLOTS: 'concurrent sequence slots; default 8',
  ENGINE_CONTEXT_SIZE: 'KV cells per slot; default 2048',
  ENGINE_THREADS: 'CPU threads of each lane; unset measures and picks',
  ENGINE_LANES: 'contexts decoding at the same time; unset measures and picks (1 on a GPU)',
  ENGINE_GPU_LAYERS: 'layers offloaded to a GPU; unset offloads all when a GPU is found',
  ENGINE_QUEUE_LIMIT: 'requests waiting for a slot before 429; default 64',
  ENGINE_MAX_NEW_TOKENS: 'largest max_new_tokens; default 1024',
  ENGINE_DRAIN_GRACE_MS: 'how long SIGTERM waits for running requests; default 30000',
  ENGINE_DRAFT_TOKENS: 'most draft tokens (prompt lookup) checked after each token while a ' +
    'lane serves at most 2 streams; 0 (the default) turns speculative decoding off',
  ENGINE_STREAM_FLUSH_MS: 'most ms a streamed token waits to share a write with the next ' +
    'ones (the first token goes at once); 0 writes each token alone; default 5',
  UV_THREADPOOL_SIZE: 'threads of the native work pool, as the process started with it (Node ' +
    'default 4); 1 queues each sample behind its decode and runs one lane',
} as const;

function integer(env: NodeJS.ProcessEnv, name: keyof typeof ENGINE_ENV, min = 0):
  number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;

  const value = /^\d+$/.test(raw.trim()) ? Number.parseInt(raw, 10) : Number.NaN;
  if (!(value >= min)) {
    const got = JSON.stringify(raw);
    throw new Error(`${name} must be a whole number of at least ${min}, got ${got}`);
  }
  return value;
}

/** Sequence slots when none are configured. */
export const DEFAULT_SLOTS = 8;

/** Draft tokens checked after each sampled token when none are configured. */
export const DEFAULT_DRAFT_TOKENS = 0;

/**
 * Reads engine options from environment variables (see {@link ENGINE_ENV}); the model path and
 * logger are the caller's.
 * @throws when a number variable is not a whole number in its range, or there are more lanes than
 *   slots
 */
export function engineOptionsFromEnv(env: NodeJS.ProcessEnv = process.env):
  Omit<EngineOptions, 'modelPath' | 'logger'> {
  const slots = integer(env, 'ENGINE_SLOTS', 1);
  const lanes = integer(env, 'ENGINE_LANES', 1);
  // A lane is a context of its own: one without a slot would only cost memory.
  if (lanes !== undefined && lanes > (slots ?? DEFAULT_SLOTS)) {
    throw new Error(`ENGINE_LANES (${lanes}) must not exceed ENGINE_SLOTS ` +
      `(${slots ?? DEFAULT_SLOTS})`);
  }

  return {
    modelId: env.MODEL_ID || undefined,
    host: env.ENGINE_HOST || undefined,
    port: integer(env, 'ENGINE_PORT'),
    slots,
    contextSize: integer(env, 'ENGINE_CONTEXT_SIZE', 1),
    threads: integer(env, 'ENGINE_THREADS', 1),
    lanes,
    gpuLayers: integer(env, 'ENGINE_GPU_LAYERS'),
    queueLimit: integer(env, 'ENGINE_QUEUE_LIMIT'),
    maxNewTokens: integer(env, 'ENGINE_MAX_NEW_TOKENS', 1),
    drainGraceMs: integer(env, 'ENGINE_DRAIN_GRACE_MS'),
    streamFlushMs: integer(env, 'ENGINE_STREAM_FLUSH_MS'),
    draftTokens: integer(env, 'ENGINE_DRAFT_TOKENS'),
    poolThreads: integer(env, 'UV_THREADPOOL_SIZE'),
  };
}
