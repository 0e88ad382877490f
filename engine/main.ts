/**
 * @module
 * The engine process: `tsx engine/main.ts` locally, `serve` in the container. Reads its settings
 * from the environment (engine/config.ts), logs JSON, drains on SIGTERM.
 */

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { Logger } from '@aws-lambda-powertools/logger';

import { DEV_MODEL_NAME, ensureDevModel } from './devmodel/index.js';
import { engineOptionsFromEnv } from './config.js';
import { RANDOM_WEIGHTS_NOTE, startEngine } from './engine.js';

const logger = new Logger({ serviceName: 'adcopy-engine' });

/** The first GGUF file in `dir` (SageMaker copies the model artefact there), if any. */
async function findModelIn(dir: string | undefined): Promise<string | undefined> {
  if (!dir) return undefined;

  try {
    const names = (await readdir(dir)).filter((name) => name.endsWith('.gguf')).sort();
    return names[0] === undefined ? undefined : join(dir, names[0]);
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const options = engineOptionsFromEnv();
  let modelPath = process.env.MODEL_PATH || (await findModelIn(process.env.MODEL_DIR));
  let modelId = options.modelId;

  if (!modelPath) {
    modelPath = await ensureDevModel();
    modelId ??= `${DEV_MODEL_NAME} (${RANDOM_WEIGHTS_NOTE})`;
    logger.warn('MODEL_PATH is unset and MODEL_DIR has no .gguf: serving the project dev model, ' +
      'which has random weights and writes random text', { model_path: modelPath });
  }

  const engine = await startEngine({ ...options, modelPath, modelId, logger });

  const stop = (signal: string) => {
    logger.info('stopping: no new requests, finishing running ones', { signal });
    engine.drain().then(() => process.exit(0), (error: unknown) => {
      logger.error('drain failed', { error: String(error) });
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  logger.error('engine failed to start', { error: String(error) });
  process.exit(1);
});
