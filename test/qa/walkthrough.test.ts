/**
 * QA walk through the README as a new user: `npm start` (scripts/start.ts) on free ports, the
 * README's Chinese brief and compliance example against it, a JSONL file dropped into the local
 * S3 bucket, then Ctrl-C (SIGINT to the process group), after which nothing it started may still
 * run or listen. The start runs in a temporary folder (with a link to the repository's
 * node_modules) so the local S3 data of this run never mixes with a developer's `.tmp/s3`.
 */

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { localS3ClientFor } from '../../functions/batch/index.js';
import { freePort } from '../helpers/ports.js';

const REPO = resolve(import.meta.dirname, '../..');
const BUCKET = 'adcopy-local';
const DEV_MODEL_ID = 'adcopy-dev (random weights: writes random text)';

/** The README's first example, word for word. */
const README_BRIEF = {
  product_name: '极光系列无线降噪耳机', brand_tone: '年轻潮流',
  target_audience: ['Z世代', '学生群体'], keywords: ['沉浸音效', '通勤神器'],
  output_style: '口语化短句', session_id: 'sess_demo_1',
};

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** True while something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((answer) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), answer(true)));
    socket.once('error', () => answer(false));
  });
}

/** Every process below `pid`, children first found first. */
function descendantsOf(pid: number): number[] {
  let children: number[] = [];
  try {
    children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n').map((line) => Number(line.trim())).filter((child) => child > 0);
  } catch {
    // ps exits 1 when there are none
  }
  return children.flatMap((child) => [child, ...descendantsOf(child)]);
}

/** Those of `pids` that still run, as `ps` sees them. */
function stillRunning(pids: number[]): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '-p', pids.join(',')], { encoding: 'utf8' })
      .split('\n').map((line) => Number(line.trim())).filter((pid) => pid > 0);
  } catch {
    return []; // ps exits 1 when none of them runs
  }
}

let folder: string;
let start: ChildProcess;
let exited: Promise<number | null>;
let output = '';
const ports = { engine: 0, api: 0, s3: 0 };
const api = () => `http://127.0.0.1:${ports.api}`;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'adcopy-walk-'));
  await symlink(join(REPO, 'node_modules'), join(folder, 'node_modules'), 'dir');
  ports.engine = await freePort();
  ports.api = await freePort();
  ports.s3 = await freePort();

  // The README's defaults: no model, engine URL, keys, Redis or SageMaker set.
  const env: NodeJS.ProcessEnv = { ...process.env, ENGINE_PORT: String(ports.engine),
    PORT: String(ports.api), S3_PORT: String(ports.s3) };
  for (const name of ['MODEL_PATH', 'MODEL_DIR', 'ENGINE_URL', 'API_KEYS', 'REDIS_URL',
    'SAGEMAKER_ENDPOINT_NAME', 'S3_ENDPOINT']) delete env[name];
  start = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'scripts/start.ts')], {
    cwd: folder, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  start.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  start.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  exited = new Promise((done) => start.once('exit', done));

  for (let waited = 0; !output.includes('adcopy is up') && waited < 110_000; waited += 200) {
    if (start.exitCode !== null) break;
    await sleep(200);
  }
  expect(output, 'npm start never printed its welcome').toContain('adcopy is up');
});

afterAll(async () => {
  if (start?.pid && start.exitCode === null) {
    try {
      process.kill(-start.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('README walk-through on npm start', () => {
  it('prints the README example request with its own API address', () => {
    expect(output).toContain(`adcopy is up: API ${api()}`);
    expect(output).toContain(`curl -s ${api()}/v1/copies`);
    expect(output).toContain(`s3://${BUCKET}/batch/input/ at http://127.0.0.1:${ports.s3}`);
  });

  it('answers the README Chinese brief with dev-model copy that passed every check', async () => {
    const response = await fetch(`${api()}/v1/copies`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(README_BRIEF),
    });
    const answer = (await response.json()) as {
      model: string; language: string; channel: string; requested: number; incomplete: boolean;
      sessionId: string; cached: boolean; degraded: boolean;
      variants: Array<{ text: string; compliance: { passed: boolean } }>;
    };

    expect(response.status).toBe(200);
    expect(answer).toMatchObject({ model: DEV_MODEL_ID, language: 'zh', channel: 'generic',
      requested: 3, sessionId: 'sess_demo_1', cached: false, degraded: false });
    expect(answer.variants.length).toBe(answer.incomplete ? answer.variants.length : 3);
    expect(answer.variants.length).toBeLessThanOrEqual(3);
    for (const variant of answer.variants) expect(variant.compliance.passed).toBe(true);
  });

  it('flags the README compliance example with the span in the original text', async () => {
    const texts = ['全 国 第 一 的冷泡茶', '第一步：冷泡12小时'];
    const response = await fetch(`${api()}/v1/compliance/check`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ texts }),
    });
    const { results } = (await response.json()) as {
      results: Array<{ passed: boolean; violations: Array<{ term: string; start: number;
        end: number; severity: string }> }>;
    };

    expect(response.status).toBe(200);
    expect(results[0]?.passed).toBe(false);
    expect(results[0]?.violations.map(({ term, start, end, severity }) =>
      ({ term, start, end, severity }))).toEqual(
      [{ term: '全国第一', start: 0, end: 7, severity: 'block' }]);
    expect(texts[0]?.slice(0, 7)).toBe('全 国 第 一');
    expect(results[1]).toEqual({ passed: true, violations: [] });
  });

  it('runs a JSONL file dropped under batch/input/ (a key with a space) into batch/output/',
    async () => {
      const s3 = localS3ClientFor(`http://127.0.0.1:${ports.s3}`);
      const good = { brand: '山茶', product: '冷泡乌龙', features: ['0糖', '冷萃12小时'],
        audience: '都市白领', tone: '活泼', channel: 'wechat_moments', language: 'zh' };
      const lines = [{ id: 'a', ...good }, { id: 'b', brand: '' }, { id: 'c', ...good,
        product: '冷泡红茶' }];
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'batch/input/walk through.jsonl',
        Body: lines.map((line) => JSON.stringify(line)).join('\n') }));

      let reportKey: string | undefined;
      for (let waited = 0; !reportKey && waited < 40_000; waited += 250) {
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET,
          Prefix: 'batch/output/walk through-' }));
        reportKey = listed.Contents?.map((object) => object.Key)
          .find((key) => key?.endsWith('/report.json'));
        if (!reportKey) await sleep(250);
      }
      expect(reportKey, 'no report.json under batch/output/').toBeDefined();
      const read = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: reportKey }));
      const report = JSON.parse(await read.Body!.transformToString()) as {
        status: string; job: { source: { key: string } };
        counts: { lines: number; results: number; errors: number };
      };
      s3.destroy();

      expect(report.status).toBe('completed');
      expect(report.job.source.key).toBe('batch/input/walk through.jsonl');
      expect(report.counts).toMatchObject({ lines: 3, results: 2, errors: 1 });
    });

  it('stops everything on Ctrl-C: no process left, no port listening', async () => {
    const pid = start.pid!;
    const started = [pid, ...descendantsOf(pid)];
    expect(started.length).toBeGreaterThan(1);

    process.kill(-pid, 'SIGINT');
    const code = await Promise.race([exited, sleep(40_000).then(() => 'still running')]);

    expect(code).toBe(0);
    for (let waited = 0; stillRunning(started).length > 0 && waited < 5_000; waited += 100) {
      await sleep(100);
    }
    expect(stillRunning(started)).toEqual([]);
    for (const port of Object.values(ports)) expect(await listening(port)).toBe(false);
  });
});
