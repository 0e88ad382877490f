import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestEngine } from '../helpers/engine.js';
import { devModelPath } from '../helpers/models.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';
import { brief, jsonl, readJsonl, s3Event, sqsEvent } from './fixtures.js';

let engine: Awaited<ReturnType<typeof startTestEngine>>;
let s3: LocalS3;
const saved = { ...process.env };

beforeAll(async () => {
  engine = await startTestEngine(await devModelPath(), { contextSize: 2048 });
  s3 = await startLocalS3('adcopy-lambda');
  // The entry point reads its wiring from the environment, as in AWS.
  Object.assign(process.env, {
    ENGINE_URL: engine.url,
    S3_ENDPOINT: s3.endpoint,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  delete process.env.AWS_ACCESS_KEY_ID;
  delete process.env.SAGEMAKER_ENDPOINT_NAME;
  delete process.env.REDIS_URL;
});

afterAll(async () => {
  process.env = saved;
  await engine?.close();
  await s3?.close();
});

function lambdaContext(): Context {
  return {
    functionName: 'adcopy-batch',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:adcopy-batch',
    memoryLimitInMB: '256',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/adcopy-batch',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 600_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

// Model-backed: generous time, since tests of other units may share the two cores.
describe('Function: handler (the Lambda entry point)', { timeout: 180_000 }, () => {
  it('runs an SQS-wrapped S3 event with the engine and S3 named by the environment', async () => {
    const key = 'batch/input/lambda run.jsonl';
    await s3.put(key, jsonl([brief('l1', { variants: 1, length: 40 }), { brand: '' }]));
    const { handler } = await import('../../functions/batch/lambda.js');

    const answer = await handler(sqsEvent('m-1', s3Event(s3.bucket, key)), lambdaContext());

    expect(answer.batchItemFailures).toEqual([]);
    expect(answer.objects).toEqual([
      expect.objectContaining({ status: 'completed', key, job: expect.any(String) }),
    ]);
    const folder = `batch/output/${answer.objects[0]?.job}/`;
    expect(readJsonl(await s3.get(`${folder}results.jsonl`)).map((r) => r.id)).toEqual(['l1']);
    expect(readJsonl(await s3.get(`${folder}errors.jsonl`)).map((e) => e.line)).toEqual([2]);
  });
});
