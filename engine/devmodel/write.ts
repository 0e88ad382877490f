/**
 * Writing the dev model to disk: atomically (temp file, then rename), and only when missing for
 * the shared default copy that tests and `npm start` use.
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { encodeHeader, encodeTensorData } from './gguf.js';
import type { DevModelOptions } from './model.js';
import { devModelLayout, DEV_MODEL_GENERATOR_VERSION, DEV_MODEL_NAME } from './model.js';
import { readGeneratorVersion } from './inspect.js';

/** What was written. */
export interface WrittenDevModel {
  /** Absolute path of the file. */
  path: string;

  /** File size in bytes. */
  sizeBytes: number;

  /** Number of weights in all tensors. */
  parameterCount: number;

  /** Number of tokens, the three special ones included. */
  vocabularySize: number;
}

// A write takes well under a second; a temporary file this old was left by a killed process.
const ABANDONED_AFTER_MS = 10 * 60 * 1000;

/** The repository root: the nearest folder above this module with a package.json. */
function repositoryRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));

  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error(`no package.json above ${import.meta.url}`);
    folder = parent;
  }

  return folder;
}

/** Where `ensureDevModel` keeps the tiny model: `<repo>/.cache/models/adcopy-dev.gguf`. */
export function defaultDevModelPath(): string {
  return join(repositoryRoot(), '.cache', 'models', `${DEV_MODEL_NAME}.gguf`);
}

/**
 * Writes a dev model GGUF. The same options give a byte-identical file. The file appears whole or
 * not at all: it is written beside the target under a unique temporary name, then renamed.
 *
 * @param path - where to write it; folders are created
 * @param options - preset, seed, element type, context length
 * @example
 * const { path, sizeBytes } = await writeDevModel('/tmp/adcopy-dev.gguf');
 */
export async function writeDevModel(
  path: string,
  options: DevModelOptions = {},
): Promise<WrittenDevModel> {
  const target = resolve(path);
  const layout = devModelLayout(options);
  const temporary = `${target}.${process.pid}.${randomUUID()}.tmp`;

  await mkdir(dirname(target), { recursive: true });
  const file = await open(temporary, 'wx');
  let sizeBytes = 0;

  try {
    const header = encodeHeader(layout.metadata, layout.tensors);
    await file.write(header);
    sizeBytes += header.length;

    for (const tensor of layout.tensors) {
      const data = encodeTensorData(tensor);
      await file.write(data);
      sizeBytes += data.length;
    }

    await file.close();
    await rename(temporary, target);
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }

  return {
    path: target,
    sizeBytes,
    parameterCount: layout.parameterCount,
    vocabularySize: layout.vocabulary.tokens.length,
  };
}

/**
 * Returns the path of the tiny dev model, writing it first when it is missing or was made by an
 * older generator. Parallel callers may each write it; each rename puts a whole, identical file in
 * place, so no reader ever sees a partial one.
 *
 * @param path - where the model lives
 * @default path `<repo>/.cache/models/adcopy-dev.gguf`
 * @example
 * const model = await llama.loadModel({ modelPath: await ensureDevModel() });
 */
export async function ensureDevModel(path: string = defaultDevModelPath()): Promise<string> {
  const target = resolve(path);

  if ((await readGeneratorVersion(target)) !== DEV_MODEL_GENERATOR_VERSION) {
    await removeAbandonedWrites(target);
    await writeDevModel(target);
  }

  return target;
}

/** Removes temporary files of writes to the target that a killed process left long ago. */
async function removeAbandonedWrites(target: string): Promise<void> {
  const prefix = `${basename(target)}.`;
  const names = await readdir(dirname(target)).catch(() => [] as string[]);

  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;

    const path = join(dirname(target), name);
    const modified = await stat(path).then((info) => info.mtimeMs, () => Date.now());
    if (Date.now() - modified > ABANDONED_AFTER_MS) await rm(path, { force: true });
  }
}
