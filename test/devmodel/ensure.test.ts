import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  defaultDevModelPath,
  ensureDevModel,
  writeDevModel,
} from '../../engine/devmodel/index.js';
import { readGeneratorVersion } from '../../engine/devmodel/inspect.js';
import { DEV_MODEL_GENERATOR_VERSION } from '../../engine/devmodel/model.js';

const run = promisify(execFile);
const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const tsx = join(repositoryRoot, 'node_modules', '.bin', 'tsx');
const child = fileURLToPath(new URL('./fixtures/ensure-child.ts', import.meta.url));

let folder: string;
let expectedSha256: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'adcopy-devmodel-ensure-'));
  const reference = await writeDevModel(join(folder, 'reference.gguf'));
  expectedSha256 = await sha256(reference.path);
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function sha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

describe('Function: ensureDevModel', () => {
  it('writes the tiny model when it is missing and returns its absolute path', async () => {
    const target = join(folder, 'missing', 'adcopy-dev.gguf');

    const path = await ensureDevModel(target);

    expect(path).toBe(target);
    expect(await sha256(path)).toBe(expectedSha256);
  });

  it('leaves a current model untouched', async () => {
    const target = join(folder, 'current.gguf');
    await ensureDevModel(target);
    const before = await stat(target);

    await ensureDevModel(target);

    const after = await stat(target);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  it('replaces a file that is not a current dev model', async () => {
    const target = join(folder, 'stale.gguf');
    await writeFile(target, 'GGUF but not really');

    await ensureDevModel(target);

    expect(await readGeneratorVersion(target)).toBe(DEV_MODEL_GENERATOR_VERSION);
    expect(await sha256(target)).toBe(expectedSha256);
  });

  it('removes temporary files a killed write left long ago, and keeps recent ones', async () => {
    // Prepare: one abandoned an hour ago, one still being written, one of another file.
    const room = join(folder, 'abandoned');
    const target = join(room, 'adcopy-dev.gguf');
    await mkdir(room);
    await writeFile(join(room, 'adcopy-dev.gguf.123.old.tmp'), 'half');
    await writeFile(join(room, 'adcopy-dev.gguf.456.new.tmp'), 'half');
    await writeFile(join(room, 'other.gguf.789.old.tmp'), 'half');
    const anHourAgo = new Date(Date.now() - 60 * 60 * 1000);
    await utimes(join(room, 'adcopy-dev.gguf.123.old.tmp'), anHourAgo, anHourAgo);
    await utimes(join(room, 'other.gguf.789.old.tmp'), anHourAgo, anHourAgo);

    // Act
    await ensureDevModel(target);

    // Assess
    expect((await readdir(room)).sort()).toEqual([
      'adcopy-dev.gguf',
      'adcopy-dev.gguf.456.new.tmp',
      'other.gguf.789.old.tmp',
    ]);
  });

  it('gives every parallel process a whole file and leaves no temporary files', async () => {
    // Prepare: four processes and four in-process calls race for the same missing file.
    const target = join(folder, 'race', 'adcopy-dev.gguf');
    const { size } = await stat(join(folder, 'reference.gguf'));
    const seenSizes = new Set<number>();
    let racing = true;
    const watch = (async () => {
      while (racing) {
        if (existsSync(target)) seenSizes.add((await stat(target)).size);
        await new Promise((done) => setTimeout(done, 1));
      }
    })();

    // Act
    const processes = Array.from({ length: 4 }, () => run(tsx, [child, target]));
    const calls = Array.from({ length: 4 }, () => ensureDevModel(target));
    const outputs = await Promise.all(processes);
    const paths = await Promise.all(calls);
    racing = false;
    await watch;

    // Assess
    expect(outputs.map(({ stdout }) => stdout)).toEqual(Array(4).fill(target));
    expect(paths).toEqual(Array(4).fill(target));
    expect([...seenSizes]).toEqual([size]);
    expect(await sha256(target)).toBe(expectedSha256);
    expect(await readdir(join(folder, 'race'))).toEqual(['adcopy-dev.gguf']);
  });

  it('keeps the default model under the repository, whatever the working directory', async () => {
    const expected = join(repositoryRoot, '.cache', 'models', 'adcopy-dev.gguf');

    const { stdout } = await run(tsx, [child], { cwd: tmpdir() });

    expect(defaultDevModelPath()).toBe(expected);
    expect(stdout).toBe(expected);
    expect(await readGeneratorVersion(expected)).toBe(DEV_MODEL_GENERATOR_VERSION);
  });
});

describe('Command: npm run model:dev', () => {
  const cli = resolve(repositoryRoot, 'engine', 'devmodel', 'cli.ts');

  it('writes the model and prints its path, size and sha256', async () => {
    const out = join(folder, 'cli', 'model.gguf');

    const { stdout } = await run(tsx, [cli, '--out', out]);
    const printed = JSON.parse(stdout) as { path: string; sizeBytes: number; sha256: string };

    expect(printed.path).toBe(out);
    expect(printed.sizeBytes).toBe((await stat(out)).size);
    expect(printed.sha256).toBe(expectedSha256);
  });

  it('fails with a usage message on an unknown preset', async () => {
    const failure = run(tsx, [cli, '--preset', '3b', '--out', join(folder, 'cli', 'x.gguf')]);

    await expect(failure).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--preset must be tiny or 1b, got 3b\nusage: /),
    });
    expect(existsSync(join(folder, 'cli', 'x.gguf'))).toBe(false);
  });
});
