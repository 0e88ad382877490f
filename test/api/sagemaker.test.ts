/**
 * The API over the production engine client: the real SageMaker Runtime SDK, its endpoint
 * overridden to the engine's SageMaker-compatible paths, crossing AWS's real wire formats
 * (JSON invocations and event-stream framed response streams).
 */
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApiDeps, createApp, readApiConfig } from '../../functions/api/index.js';
import { SageMakerEngine } from '../../layers/engine-client/index.js';
import { createLogger } from '../../layers/observability/index.js';
import { startTestEngine } from '../helpers/engine.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';
import { json, postJson } from './helpers.js';

const BRIEF = { brand: '山茶', product: '冷泡乌龙', features: ['0糖'], channel: 'wechat_moments' };

let engine: Awaited<ReturnType<typeof startTestEngine>>;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  engine = await startTestEngine(SHARED_TINY_MODEL, { contextSize: 2048 });
  const client = new SageMakerRuntimeClient({
    endpoint: engine.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const sageMaker = new SageMakerEngine({ endpointName: 'adcopy-test', client });
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const config = readApiConfig({
    SAGEMAKER_ENDPOINT_NAME: 'adcopy-test',
    AB_VARIANTS: 'blue,green',
  });
  app = createApp(createApiDeps(config, { engine: sageMaker, logger: createLogger('t') }));
});
afterAll(async () => engine?.close());

describe('POST /v1/copies over SageMaker Runtime', () => {
  it("answers through InvokeEndpoint with the caller's production variant", async () => {
    const response = await postJson(app, '/v1/copies', BRIEF, { 'x-caller-id': 'shop-42' });
    const body = await json(response);

    expect(response.status).toBe(200);
    expect(body.variants.length).toBeGreaterThan(0);
    expect(['blue', 'green']).toContain(body.productionVariant);
    expect(body.model).toBe(engine.modelId);
  });

  it('streams through InvokeEndpointWithResponseStream', async () => {
    const response = await postJson(
      app,
      '/v1/copies',
      { ...BRIEF, tone: '轻松' },
      {
        accept: 'text/event-stream',
      },
    );
    const text = await response.text();

    expect(text).toContain('event: token');
    expect(text).toContain('event: done');
    expect(text).not.toContain('\uFFFD');
  });
});
