import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startLocalBatchTrigger, type LocalBatchTrigger } from '../../functions/batch/index.js';
import { HttpEngine } from '../../layers/engine-client/index.js';
import { startTestEngine } from '../helpers/engine.js';
import { devModelPath } from '../helpers/models.js';
import { brief, jsonl, quietLogger, readJsonl } from './fixtures.js';

let engine: Awaited<ReturnType<typeof startTestEngine>>;
let trigger: LocalBatchTrigger;
let directory: string;

beforeAll(async () => {
  engine = await startTestEngine(await devModelPath(), { contextSize: 2048 });
  directory = await mkdtemp(join(tmpdir(), 'adcopy-batch-local-'));
  trigger = await startLocalBatchTrigger({
    engine: new HttpEngine({ baseUrl: engine.url }),
    logger: quietLogger,
    s3Port: 0,
    directory,
    retryDelayMs: 100,
  });
});

afterAll(async () => {
  await trigger?.close();
  await engine?.close();
  await rm(directory, { recursive: true, force: true });
});

async function keys(prefix: string): Promise<string[]> {
  const page = await trigger.s3.send(
    new ListObjectsV2Command({ Bucket: trigger.bucket, Prefix: prefix }),
  );
  return (page.Contents ?? []).map((item) => item.Key ?? '').sort();
}

async function text(key: string): Promise<string> {
  const answer = await trigger.s3.send(new GetObjectCommand({ Bucket: trigger.bucket, Key: key }));
  return answer.Body!.transformToString('utf-8');
}

/** Uploads in two parts, so S3 announces it as a multipart completion. */
async function uploadInParts(key: string, body: string): Promise<void> {
  const bytes = Buffer.from(body, 'utf8');
  const middle = Math.floor(bytes.length / 2);
  const address = { Bucket: trigger.bucket, Key: key };
  const { UploadId } = await trigger.s3.send(new CreateMultipartUploadCommand(address));
  const parts = [];
  for (const [index, chunk] of [bytes.subarray(0, middle), bytes.subarray(middle)].entries()) {
    const { ETag } = await trigger.s3.send(
      new UploadPartCommand({ ...address, UploadId, PartNumber: index + 1, Body: chunk }),
    );
    parts.push({ PartNumber: index + 1, ETag });
  }
  await trigger.s3.send(
    new CompleteMultipartUploadCommand({ ...address, UploadId, MultipartUpload: { Parts: parts } }),
  );
}

// Model-backed: generous time, since tests of other units may share the two cores.
describe(
  'Function: startLocalBatchTrigger (real s3rver, engine on the dev model, pipeline)',
  { timeout: 180_000 },
  () => {
    it('runs a multipart upload dropped into batch/input/ end to end', async () => {
      // case 3: the upload arrives as a multipart completion (s3rver names it ObjectCreated:Post)
      const body = jsonl([
        brief('tea-1', { variants: 1, length: 40 }),
        brief('tea-2', { variants: 1, length: 40, product: '冷泡红茶' }),
        { product: '冷泡乌龙', langauge: 'en' },
        brief('unlawful', { keywords: ['全国销量第一'] }),
      ]);
      await uploadInParts('batch/input/spring launch+新品.jsonl', body);
      await trigger.idle();

      const outputs = await keys('batch/output/');
      const folder = outputs[0]!.replace(/[^/]+$/, '');
      expect(folder).toMatch(/^batch\/output\/spring launch\+新品-[0-9a-f]{12}\/$/);
      expect(outputs.map((key) => key.slice(folder.length))).toEqual([
        'errors.jsonl',
        'progress.json',
        'report.json',
        'results.jsonl',
      ]);

      const results = readJsonl(await text(`${folder}results.jsonl`));
      expect(results.map((r) => [r.line, r.id])).toEqual([
        [1, 'tea-1'],
        [2, 'tea-2'],
      ]);
      for (const result of results) {
        // Random weights write gibberish the pipeline may reject, so each answer is checked for its
        // shape: every candidate it generated is either returned or listed as rejected.
        const copy = result.copy as {
          variants: unknown[];
          rejected: unknown[];
          model: string;
          cached: boolean;
        };
        expect(copy.variants.length + copy.rejected.length).toBeGreaterThanOrEqual(1);
        expect(copy).toMatchObject({ model: expect.any(String), cached: false });
      }

      const errors = readJsonl(await text(`${folder}errors.jsonl`));
      expect(errors.map((e) => [e.line, e.reason])).toEqual([
        [3, 'invalid_brief'],
        [4, 'brief_rejected'],
      ]);
      expect(JSON.stringify(errors[0]?.issues)).toContain('langauge');
    });

    it('runs copies, skips removals, and never triggers itself on its own outputs', async () => {
      const source = 'batch/input/copy source.jsonl';
      await uploadInParts(source, jsonl([brief('copied', { variants: 1, length: 40 })]));
      await trigger.idle();
      const before = await keys('batch/output/');

      await trigger.s3.send(
        new CopyObjectCommand({
          Bucket: trigger.bucket,
          Key: 'batch/input/copied twice.jsonl',
          CopySource: `${trigger.bucket}/${source.split('/').map(encodeURIComponent).join('/')}`,
        }),
      );
      await trigger.s3.send(new DeleteObjectCommand({ Bucket: trigger.bucket, Key: source }));
      await trigger.idle();

      const added = (await keys('batch/output/')).filter((key) => !before.includes(key));
      expect(added.filter((key) => key.endsWith('/report.json'))).toEqual([
        expect.stringMatching(/^batch\/output\/copied twice-[0-9a-f]{12}\/report\.json$/),
      ]);
    });
  },
);
