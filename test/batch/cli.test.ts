import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestEngine } from '../helpers/engine.js';
import { devModelPath } from '../helpers/models.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';
import { brief, readJsonl } from './fixtures.js';

const run = promisify(execFile);
let engine: Awaited<ReturnType<typeof startTestEngine>>;
let s3: LocalS3;
let folder: string;

beforeAll(async () => {
  engine = await startTestEngine(await devModelPath(), { contextSize: 2048 });
  s3 = await startLocalS3('adcopy-cli');
  folder = await mkdtemp(join(tmpdir(), 'adcopy-batch-cli-'));
});

afterAll(async () => {
  await engine?.close();
  await s3?.close();
  await rm(folder, { recursive: true, force: true });
});

/** Runs `npm run batch -- ...` as a user would, against the test engine and S3. */
async function batchCli(...args: string[]) {
  // No AWS keys in the environment: the CLI then uses dummy ones for the local endpoint.
  const { AWS_ACCESS_KEY_ID: _key, ...rest } = process.env;
  const env = { ...rest, ENGINE_URL: engine.url, S3_ENDPOINT: s3.endpoint };
  return run(process.execPath, ['--import', 'tsx', 'functions/batch/cli.ts', ...args], { env });
}

const good = (id: string) => JSON.stringify(brief(id, { variants: 1, length: 40 }));
const body = `${good('c1')}\n{"brand":\n${good('c2')}\n`;

// Model-backed: generous time, since tests of other units may share the two cores.
describe('CLI: npm run batch', { timeout: 180_000 }, () => {
  it('runs a local file into a folder, and says so when the same job is asked again', async () => {
    const input = join(folder, 'catalogue.jsonl');
    const out = join(folder, 'out');
    await writeFile(input, body);

    const first = await batchCli('--input', input, '--out', out);
    const again = await batchCli('--input', input, '--out', out);

    expect(first.stdout).toContain('done: 2 results, 1 errors');
    expect(again.stdout).toContain('already done earlier');
    const results = readJsonl(await readFile(join(out, 'results.jsonl'), 'utf8'));
    expect(results.map((r) => [r.line, r.id])).toEqual([
      [1, 'c1'],
      [3, 'c2'],
    ]);
    const errors = readJsonl(await readFile(join(out, 'errors.jsonl'), 'utf8'));
    expect(errors.map((e) => [e.line, e.reason])).toEqual([[2, 'invalid_json']]);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.outputs).toEqual({
      results: join(out, 'results.jsonl'),
      errors: join(out, 'errors.jsonl'),
    });
  });

  it('reads s3:// input and writes under batch/output/ of its bucket by default', async () => {
    await s3.put('batch/input/from s3.jsonl', body);

    const { stdout } = await batchCli('--input', `s3://${s3.bucket}/batch/input/from s3.jsonl`);

    expect(stdout).toMatch(/outputs: s3:\/\/adcopy-cli\/batch\/output\/from s3-[0-9a-f]{12}\//);
    const keys = await s3.list('batch/output/');
    expect(keys.filter((key) => key.endsWith('results.jsonl'))).toHaveLength(1);
  });

  it('fails with the usage line when --input is missing', async () => {
    const failure = await batchCli('--out', folder).catch(
      (error: { code: number; stderr: string }) => error,
    );

    expect(failure).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--input is required'),
    });
  });
});
