/**
 * @module
 * The engine process: `tsx engine/main.ts` locally, `serve` in the container. Reads its settings
 * from the environment (engine/config.ts), logs JSON, drains on SIGTERM.
 *
 * On CPU with one lane the engine serves from a child process whose native work pool has one
 * thread (UV_THREADPOOL_SIZE=1), so that each sample queues behind its decode: libuv reads the
 * pool size once, before this file runs, so only a new process can change it.
 */

import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { Logger } from '@aws-lambda-powertools/logger';

import { DEV_MODEL_NAME, ensureDevModel } from './devmodel/index.js';
import { engineOptionsFromEnv } from './config.js';
import { findsGpu, measureLayout, RANDOM_WEIGHTS_NOTE, startEngine } from './engine.js';
import type { EngineOptions, MeasuredLayout } from './engine.js';
import { whenParentGone } from './parent-watch.js';

const logger = new Logger({ serviceName: 'adcopy-engine' });

/**
 * The first GGUF file in `dir`, or else in its first subfolder that holds one (SageMaker unpacks
 * the model artefact there, and an archive often wraps it in a folder).
 * @throws when the folder holds no GGUF file at either level: a set MODEL_DIR that is wrong must
 *   not quietly fall back to the dev model, whose random weights write random text
 */
async function findModelIn(dir: string): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: Error) => {
    throw new Error(`MODEL_DIR=${dir} cannot be read: ${error.message}`);
  });
  const ggufIn = (names: string[]) => names.filter((name) => name.endsWith('.gguf')).sort()[0];

  const top = ggufIn(entries.filter((entry) => !entry.isDirectory()).map((entry) => entry.name));
  if (top) return join(dir, top);

  const folders = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  for (const folder of folders) {
    const nested = ggufIn(await readdir(join(dir, folder)).catch(() => []));
    if (nested) return join(dir, folder, nested);
  }
  throw new Error(`MODEL_DIR=${dir} holds no .gguf file, at its top or one folder down`);
}

/**
 * True when the layout is one lane on CPU: a one-thread pool then saves a thread hand-off per
 * token and costs no parallel decoding.
 */
function wantsOneThreadPool(layout: MeasuredLayout): boolean {
  return !layout.gpu && layout.lanes === 1;
}

/**
 * Serves from a child process with a one-thread pool and the measured layout; this process only
 * passes signals on and exits with the child.
 */
function serveWithOneThreadPool(layout: MeasuredLayout): void {
  logger.info('serving from a process with a one-thread native pool: one lane, each sample ' +
    'queued behind its decode', { lanes: layout.lanes, threads: layout.threads,
    layout_reason: layout.reason, tokens_per_second: layout.tokensPerSecond });

  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env: { ...process.env, UV_THREADPOOL_SIZE: '1', ENGINE_LANES: '1',
      ENGINE_THREADS: String(layout.threads), ENGINE_PARENT_PID: String(process.pid) },
    stdio: 'inherit',
    // Its own process group: Ctrl-C in a terminal then reaches it once, passed on from here, and
    // not a second time straight from the terminal (which would cut its drain short).
    detached: true,
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => child.kill(signal));
  }
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  // Whoever started this parent may vanish without a signal: the child then drains and we follow.
  whenParentGone(Number(process.env.ENGINE_PARENT_PID), () => child.kill('SIGTERM'));
}

async function main(): Promise<void> {
  const options = engineOptionsFromEnv();
  const modelDir = process.env.MODEL_DIR;
  let modelPath = process.env.MODEL_PATH || (modelDir ? await findModelIn(modelDir) : undefined);
  let modelId = options.modelId;

  if (!modelPath) {
    modelPath = await ensureDevModel();
    modelId ??= `${DEV_MODEL_NAME} (${RANDOM_WEIGHTS_NOTE})`;
    logger.warn('MODEL_PATH and MODEL_DIR are unset: serving the project dev model, ' +
      'which has random weights and writes random text', { model_path: modelPath });
  }
  const engineOptions: EngineOptions = { ...options, modelPath, modelId, logger };

  // On CPU, unless the pool size was given, the layout is measured first, in this process's
  // default pool (parallel lanes measure as they would run), and picks the pool. A GPU keeps the
  // default pool: its decode dominates, and with a 128k-token vocabulary each sample is long
  // enough that samples of a step should run in parallel; the model then loads only once.
  if (options.poolThreads === undefined && !(await findsGpu())) {
    const layout = await measureLayout(engineOptions);
    if (wantsOneThreadPool(layout)) {
      serveWithOneThreadPool(layout);
      return;
    }
    engineOptions.layout = layout;
  }

  const engine = await startEngine(engineOptions);

  let stopping = false;
  const stop = (reason: string) => {
    // A second signal while draining (a supervisor repeating itself) must not cut the drain short.
    if (stopping) {
      logger.info('already stopping: finishing running requests', { reason });
      return;
    }
    stopping = true;
    logger.info('stopping: no new requests, finishing running ones', { signal: reason });
    engine.drain().then(() => process.exit(0), (error: unknown) => {
      logger.error('drain failed', { error: String(error) });
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Started by `npm start` or by a parent engine (see serveWithOneThreadPool): leave with it.
  whenParentGone(Number(process.env.ENGINE_PARENT_PID), () => stop('parent exited'));
}

main().catch((error: unknown) => {
  logger.error('engine failed to start', { error: String(error) });
  process.exit(1);
});
