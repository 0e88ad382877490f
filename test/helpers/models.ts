import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import { ensureDevModel } from '../../engine/devmodel/index.js';

/** The shared tiny LLaMA-2 model with random weights, kept beside the repository by CI. */
export const SHARED_TINY_MODEL = resolve('../shared/models/llama-2-tiny-random.gguf');

/** True when the shared model is there (it is on CI and on the team's machines). */
export const hasSharedTinyModel = existsSync(SHARED_TINY_MODEL);

/** The project's own dev model, written on first use (deterministic, a few MB). */
export async function devModelPath(): Promise<string> {
  return ensureDevModel();
}
