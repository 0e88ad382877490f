import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';

import {
  createEngineFromEnv,
  HttpEngine,
  SageMakerEngine,
} from '../../layers/engine-client/index.js';

describe('Function: createEngineFromEnv', () => {
  it('gives an HttpEngine on 127.0.0.1:8080 when nothing is set', () => {
    const engine = createEngineFromEnv({});

    expect(engine).toBeInstanceOf(HttpEngine);
    expect((engine as HttpEngine).baseUrl).toBe('http://127.0.0.1:8080');
  });

  it('takes a Powertools Logger as its logger', () => {
    const logger = new Logger({ serviceName: 'adcopy-test', logLevel: 'SILENT' });

    const engine = createEngineFromEnv({}, { logger });

    expect(engine.name).toBe('http');
  });

  it('gives an HttpEngine on ENGINE_URL without its trailing slash', () => {
    const engine = createEngineFromEnv({ ENGINE_URL: 'http://127.0.0.1:9999/' });

    expect((engine as HttpEngine).baseUrl).toBe('http://127.0.0.1:9999');
  });

  it('gives a SageMakerEngine when SAGEMAKER_ENDPOINT_NAME is set', () => {
    const engine = createEngineFromEnv({
      SAGEMAKER_ENDPOINT_NAME: 'adcopy-prod',
      AWS_REGION: 'eu-west-1',
    });

    expect(engine).toBeInstanceOf(SageMakerEngine);
    expect(engine.name).toBe('sagemaker:adcopy-prod');
  });

  it('fails when both ENGINE_URL and SAGEMAKER_ENDPOINT_NAME are set', () => {
    expect(() =>
      createEngineFromEnv({ ENGINE_URL: 'http://127.0.0.1:8080', SAGEMAKER_ENDPOINT_NAME: 'x' }),
    ).toThrow('set either ENGINE_URL or SAGEMAKER_ENDPOINT_NAME, not both');
  });

  it.each(['0', '-5', '1e9x', '2.5'])('fails for ENGINE_DEADLINE_MS=%s, naming it', (value) => {
    expect(() => createEngineFromEnv({ ENGINE_DEADLINE_MS: value })).toThrow(/ENGINE_DEADLINE_MS/);
  });
});
