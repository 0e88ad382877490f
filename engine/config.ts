/**
 * @module
 * Engine settings from the environment (the container's only configuration surface).
 */

import type { EngineOptions } from './engine.js';

/** Environment variables the engine reads, with their meaning. */
export const ENGINE_ENV = {
  MODEL_PATH: 'GGUF file to serve; unset uses MODEL_DIR, then the dev model (random weights)',
  MODEL_DIR: 'folder whose first .gguf is served when MODEL_PATH is unset (/opt/ml/model)',
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
  UV_THREADPOOL_SIZE: 'threads of the native work pool, as the process started with it (Node ' +
    'default 4); 1 queues each sample behind its decode and runs one lane',
} as const;

function integer(env: NodeJS.ProcessEnv, name: keyof typeof ENGINE_ENV): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;

  if (!/^\d+$/.test(raw.trim())) {
    throw new Error(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  }
  return Number.parseInt(raw, 10);
}

/**
 * Reads engine options from environment variables (see {@link ENGINE_ENV}); the model path and
 * logger are the caller's.
 * @throws when a number variable is not a whole number
 */
export function engineOptionsFromEnv(env: NodeJS.ProcessEnv = process.env):
  Omit<EngineOptions, 'modelPath' | 'logger'> {
  return {
    modelId: env.MODEL_ID || undefined,
    host: env.ENGINE_HOST || undefined,
    port: integer(env, 'ENGINE_PORT'),
    slots: integer(env, 'ENGINE_SLOTS'),
    contextSize: integer(env, 'ENGINE_CONTEXT_SIZE'),
    threads: integer(env, 'ENGINE_THREADS'),
    lanes: integer(env, 'ENGINE_LANES'),
    gpuLayers: integer(env, 'ENGINE_GPU_LAYERS'),
    queueLimit: integer(env, 'ENGINE_QUEUE_LIMIT'),
    maxNewTokens: integer(env, 'ENGINE_MAX_NEW_TOKENS'),
    drainGraceMs: integer(env, 'ENGINE_DRAIN_GRACE_MS'),
    poolThreads: integer(env, 'UV_THREADPOOL_SIZE'),
  };
}
