/**
 * `npm run model:dev [-- --preset tiny|1b] [--out <path>] [--seed <n>] [--dtype f32|f16]`:
 * writes the dev model and prints its path, size and sha256.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

import type { DevModelOptions } from './model.js';
import { defaultDevModelPath, writeDevModel } from './write.js';

const USAGE =
  'usage: npm run model:dev -- [--preset tiny|1b] [--out <path>] [--seed <n>] [--dtype f32|f16]';

/** sha256 of a file, streamed: the 1B preset is about 2 GB. */
async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Turns the command line into writer options, or throws an Error that says what is wrong. */
function parseCommandLine(argv: string[]): { out: string; options: DevModelOptions } {
  const { values } = parseArgs({
    args: argv,
    options: {
      preset: { type: 'string', default: 'tiny' },
      out: { type: 'string' },
      seed: { type: 'string' },
      dtype: { type: 'string' },
    },
    strict: true,
  });

  const preset = values.preset;
  if (preset !== 'tiny' && preset !== '1b') {
    throw new Error(`--preset must be tiny or 1b, got ${preset}`);
  }

  const dtype = values.dtype;
  if (dtype !== undefined && dtype !== 'f32' && dtype !== 'f16') {
    throw new Error(`--dtype must be f32 or f16, got ${dtype}`);
  }

  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !/^\d+$/.test(values.seed ?? '')) {
    throw new Error(`--seed must be a whole number, got ${values.seed}`);
  }

  const defaultPath = defaultDevModelPath();
  const out =
    values.out ??
    (preset === 'tiny' ? defaultPath : join(dirname(defaultPath), `adcopy-dev-${preset}.gguf`));

  const options: DevModelOptions = { preset };
  if (dtype !== undefined) options.dtype = dtype;
  if (seed !== undefined) options.seed = seed;

  return { out, options };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseCommandLine>;

  try {
    parsed = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }

  const started = performance.now();
  const written = await writeDevModel(parsed.out, parsed.options);
  const seconds = (performance.now() - started) / 1000;
  const sha256 = await sha256OfFile(written.path);

  process.stdout.write(
    `${JSON.stringify({ ...written, sha256, seconds: Number(seconds.toFixed(3)) }, null, 2)}\n`,
  );
}

await main();
