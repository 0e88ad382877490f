import { createHash, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';

import { Logger } from '@aws-lambda-powertools/logger';
import type { Context as LambdaContext, LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { createApiDeps, readApiConfig } from '../../functions/api/index.js';
import type { StreamingHandler } from '../../functions/api/lambda.js';
import type { Engine } from '../../layers/engine-client/index.js';
import { parseSse, startTestEngine } from '../helpers/engine.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';

/*
 * What the Node.js Lambda runtime provides and cannot run here: the `awslambda` global and the
 * response stream it hands a streaming handler. The stand-in follows the runtime interface client
 * (aws-lambda-nodejs-runtime-interface-client, src/stream): `streamifyResponse` only marks the
 * handler; the response stream takes a content type until its first write, and
 * `HttpResponseStream.from` sets the HTTP-integration content type and writes, just before the
 * first body byte, the JSON prelude (status, headers, cookies) and eight NUL bytes. The Function
 * URL front end reads the prelude back into status and headers; `invoke` below does the same.
 */
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';

/** The runtime's response stream: bytes as written, one entry per write call. */
class ResponseStreamStandIn extends Writable {
  readonly writes: Buffer[] = [];
  contentType = 'application/octet-stream';
  _onBeforeFirstWrite?: (write: (chunk: string | Uint8Array) => void) => void;
  #written = false;

  constructor() {
    super();
    const rawWrite = super.write.bind(this) as (chunk: unknown) => boolean;
    this.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (!this.#written) this._onBeforeFirstWrite?.((bytes) => rawWrite(bytes));
      this.#written = true;
      const data =
        typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : JSON.stringify(chunk);
      return (super.write as (...args: unknown[]) => boolean)(data, ...rest);
    }) as Writable['write'];
  }

  setContentType(type: string): void {
    if (this.#written) throw new Error('Cannot set content-type, too late.');
    this.contentType = type;
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (error?: Error | null) => void,
  ): void {
    this.writes.push(Buffer.from(chunk));
    done();
  }
}

const awslambdaStandIn = {
  streamifyResponse<T extends (...args: never[]) => unknown>(handler: T): T {
    return Object.assign(handler, { [STREAMING]: 'response' });
  },
  HttpResponseStream: {
    from(stream: ResponseStreamStandIn, prelude: Record<string, unknown>): ResponseStreamStandIn {
      stream.setContentType(PRELUDE_CONTENT_TYPE);
      stream._onBeforeFirstWrite = (write) => {
        write(JSON.stringify(prelude));
        write(new Uint8Array(8));
      };
      return stream;
    },
  },
};

/** What a Function URL client receives for one invocation. */
interface Delivered {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Body bytes per write call, in order: more than one means the body was streamed. */
  bodyWrites: Buffer[];
}

/** Invokes `handler` as the runtime does and decodes its stream as the Function URL does. */
async function invoke(
  handler: StreamingHandler,
  event: LambdaFunctionURLEvent,
): Promise<Delivered> {
  expect((handler as unknown as Record<symbol, unknown>)[STREAMING]).toBe('response');
  const stream = new ResponseStreamStandIn();
  const finished = new Promise((resolve) => stream.once('finish', resolve));

  await handler(event, stream as unknown as awslambda.HttpResponseStream, lambdaContext());
  await finished;

  expect(stream.contentType).toBe(PRELUDE_CONTENT_TYPE);
  const [prelude, delimiter, ...bodyWrites] = stream.writes;
  expect(delimiter).toEqual(Buffer.alloc(8));
  const { statusCode, headers } = JSON.parse(String(prelude));
  return { status: statusCode, headers, body: Buffer.concat(bodyWrites), bodyWrites };
}

function lambdaContext(): LambdaContext {
  const awsRequestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'adcopy-api',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:ap-east-1:123456789012:function:adcopy-api',
    memoryLimitInMB: '1024',
    awsRequestId,
    logGroupName: '/aws/lambda/adcopy-api',
    logStreamName: '2026/12/04/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A Function URL event (payload format 2.0), as Lambda delivers it. */
function functionUrlEvent(
  method: string,
  rawPath: string,
  {
    headers = {},
    body,
    base64 = false,
    rawQueryString = '',
  }: {
    headers?: Record<string, string>;
    body?: string;
    base64?: boolean;
    rawQueryString?: string;
  } = {},
): LambdaFunctionURLEvent {
  const domainName = 'abcdefghij0123456789.lambda-url.ap-east-1.on.aws';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers: {
      host: domainName,
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '443',
      'x-forwarded-for': '203.0.113.7',
      'x-amzn-trace-id': 'Root=1-67a1b2c3-0123456789abcdef01234567',
      'user-agent': 'ad-studio/2.1',
      ...headers,
    },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefghij0123456789',
      domainName,
      domainPrefix: 'abcdefghij0123456789',
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'ad-studio/2.1',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: '04/Dec/2026:16:40:00 +0000',
      timeEpoch: 1_796_402_400_000,
    },
    isBase64Encoded: base64,
    ...(body !== undefined && {
      body: base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
    }),
  };
}

const KEY = 'adk_lambda-test-key';
const KEY_ENTRY = `studio:${createHash('sha256').update(KEY).digest('hex')}`;
const BRIEF = {
  brand: '山茶',
  product: '冷泡乌龙',
  features: ['0糖', '冷萃12小时'],
  language: 'zh',
  variants: 1,
};
const JSON_POST = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };

let engine: Awaited<ReturnType<typeof startTestEngine>>;
let lambda: typeof import('../../functions/api/lambda.js');

beforeAll(async () => {
  Object.assign(globalThis, { awslambda: awslambdaStandIn });
  engine = await startTestEngine(SHARED_TINY_MODEL, { contextSize: 2048 });

  // The deployed module builds its dependencies from the environment when it is loaded.
  vi.stubEnv('ENGINE_URL', engine.url);
  vi.stubEnv('API_KEYS', KEY_ENTRY);
  vi.stubEnv('MAX_BODY_BYTES', '4096');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'ERROR');
  lambda = await import('../../functions/api/lambda.js');
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await engine?.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the Lambda handler behind a Function URL (response streaming)', () => {
  it('answers a probe with status and headers in the prelude and the JSON body after it', async () => {
    const answer = await invoke(lambda.handler, functionUrlEvent('GET', '/v1/health'));

    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.headers['x-request-id']).toMatch(/\S+/);
    expect(JSON.parse(String(answer.body))).toEqual({ status: 'ok' });
  });

  it('decodes a base64-encoded body before reading it', async () => {
    const body = JSON.stringify({ texts: ['全国销量第一的冷泡茶'], language: 'zh' });
    const event = functionUrlEvent('POST', '/v1/compliance/check', {
      headers: JSON_POST,
      body,
      base64: true,
    });

    const answer = await invoke(lambda.handler, event);
    const { results } = JSON.parse(String(answer.body));

    expect(answer.status).toBe(200);
    expect(results[0].passed).toBe(false);
    expect(results[0].violations.map((v: { term: string }) => v.term)).toContain('销量第一');
  });

  it('generates copy on the real engine from a base64 brief, keeping the request id', async () => {
    const event = functionUrlEvent('POST', '/v1/copies', {
      headers: { ...JSON_POST, 'x-request-id': 'req-lambda-1' },
      body: JSON.stringify(BRIEF),
      base64: true,
    });

    const answer = await invoke(lambda.handler, event);
    const copy = JSON.parse(String(answer.body));

    expect(answer.status).toBe(200);
    expect(answer.headers['x-request-id']).toBe('req-lambda-1');
    expect(copy.requestId).toBe('req-lambda-1');
    expect(copy.model).toBe(engine.modelId);
    expect(copy.variants.length).toBe(1);
    expect(copy.variants[0].text.length).toBeGreaterThan(0);
  });

  it('streams server-sent events in several writes, ending with the done event', async () => {
    const event = functionUrlEvent('POST', '/v1/copies', {
      headers: { ...JSON_POST, accept: 'text/event-stream' },
      body: JSON.stringify({ ...BRIEF, product: '冷泡茉莉' }),
    });

    const answer = await invoke(lambda.handler, event);
    const events = parseSse(String(answer.body));

    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/event-stream');
    expect(answer.bodyWrites.length).toBeGreaterThan(2);
    expect(events.filter((e) => e.event === 'token').length).toBeGreaterThan(0);
    expect(events.at(-1)?.event).toBe('done');
    expect(events.at(-1)?.data.variants).toEqual(
      events.filter((e) => e.event === 'variant').map((e) => e.data),
    );
  });

  it('returns a problem with status 401 and the challenge header when the key is missing', async () => {
    const event = functionUrlEvent('POST', '/v1/copies', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(BRIEF),
    });

    const answer = await invoke(lambda.handler, event);

    expect(answer.status).toBe(401);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.headers['www-authenticate']).toBe('Bearer realm="adcopy"');
    expect(JSON.parse(String(answer.body)).type).toBe('/docs#problem-unauthorized');
  });

  it('returns 413 for a body over MAX_BODY_BYTES once decoded from base64', async () => {
    const body = JSON.stringify({ ...BRIEF, features: ['茶'.repeat(1400)] });
    const event = functionUrlEvent('POST', '/v1/copies', {
      headers: JSON_POST,
      body,
      base64: true,
    });

    const answer = await invoke(lambda.handler, event);

    expect(Buffer.byteLength(body)).toBeGreaterThan(4096);
    expect(answer.status).toBe(413);
    expect(JSON.parse(String(answer.body)).detail).toBe('the body is larger than 4096 bytes');
  });

  it('ignores a body sent with GET instead of failing without a status', async () => {
    const event = functionUrlEvent('GET', '/v1/health', { body: 'e30=', base64: true });

    const answer = await invoke(lambda.handler, event);

    expect(answer.status).toBe(200);
    expect(JSON.parse(String(answer.body))).toEqual({ status: 'ok' });
  });
});

describe('createHandler', () => {
  it('serves the app built from the given dependencies and logs with the Lambda context', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) =>
      Boolean(lines.push(String(chunk))),
    );
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const engineMustNotRun: Engine = {
      name: 'none',
      generate: () => Promise.reject(new Error('the engine must not be called')),
      stream: () => {
        throw new Error('the engine must not be called');
      },
    };
    const logger = new Logger({ serviceName: 'adcopy-api', logLevel: 'DEBUG' });
    // Readiness still asks the engine URL, so point it at the test engine.
    const config = readApiConfig({ ENGINE_URL: engine.url });
    const handler = lambda.createHandler(
      createApiDeps(config, { engine: engineMustNotRun, logger }),
    );

    const answer = await invoke(handler, functionUrlEvent('GET', '/v1/ready'));
    const requestLine = lines
      .map((line) => JSON.parse(line))
      .find((line) => line.message === 'request');

    expect(answer.status).toBe(200);
    expect(requestLine).toMatchObject({
      function_name: 'adcopy-api',
      function_request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      cold_start: expect.any(Boolean),
      path: '/v1/ready',
    });
  });
});
