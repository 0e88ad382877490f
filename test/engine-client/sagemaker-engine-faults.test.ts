import { beforeEach, describe, expect, it } from 'vitest';

import {
  EngineError,
  EngineRejectedError,
  SageMakerEngine,
  type EngineStreamEvent,
} from '../../layers/engine-client/index.js';
import { collect, failure, streamFailure } from './collect.js';
import {
  awsError,
  awsStream,
  engineAnswer,
  hang,
  json,
  localSageMakerClient,
  useFaultServer,
  type FaultServer,
} from './fault-server.js';

const answer = engineAnswer('赋能', 'gen_2');
const serverOf = useFaultServer();
let server: FaultServer;
let engine: SageMakerEngine;

beforeEach(() => {
  server = serverOf();
  const client = localSageMakerClient(server.url);
  engine = new SageMakerEngine({ endpointName: 'adcopy-test', client, retry: { random: () => 0 } });
});

/** A container answer relayed by SageMaker inside a ModelError. */
function modelError(originalStatus: number, body: unknown) {
  return awsError(424, 'ModelError', {
    Message: `Received client error (${originalStatus}) from primary`,
    OriginalStatusCode: originalStatus,
    OriginalMessage: JSON.stringify(body),
  });
}

describe('Class: SageMakerEngine', () => {
  describe('Method: generate', () => {
    it('invokes the endpoint with the target variant and reports who answered', async () => {
      server.script(json(200, answer, { 'x-amzn-invoked-production-variant': 'B' }));

      const response = await engine.generate(
        { prompt: '茶', max_new_tokens: 4 },
        { targetVariant: 'B', requestId: 'req-9' },
      );

      expect(response).toEqual({ ...answer, invoked_variant: 'B' });
      const [seen] = server.seen;
      expect(seen?.url).toBe('/endpoints/adcopy-test/invocations');
      expect(seen?.headers['x-amzn-sagemaker-target-variant']).toBe('B');
      expect(seen?.headers['x-amzn-sagemaker-custom-attributes']).toBe('request_id=req-9');
      expect(JSON.parse(seen?.body ?? '{}')).toMatchObject({ prompt: '茶', stream: false });
    });

    it('retries a ThrottlingException (a 400, no message) and returns the next answer', async () => {
      server.script(awsError(400, 'ThrottlingException'), json(200, answer));

      const response = await engine.generate({ prompt: 'tea' });

      expect(response.id).toBe('gen_2');
      expect(server.seen).toHaveLength(2);
    });

    it('fails with a 503 engine_throttled, never a 400, after retries (case 14)', async () => {
      server.script(awsError(400, 'ThrottlingException'));

      const err = await failure(engine.generate({ prompt: 'tea' }));

      expect(err).toBeInstanceOf(EngineError);
      expect(err).toMatchObject({ status: 503, reason: 'engine_throttled', retryAfterS: 1 });
      expect(server.seen).toHaveLength(3);
    });

    it('maps an engine error body that reached the SDK unwrapped, with Retry-After', async () => {
      server.script(
        json(429, { error: 'queue full', error_type: 'queue_full' }, { 'retry-after': '4' }),
      );

      const err = await failure(engine.generate({ prompt: 'tea' }));

      expect(err).toMatchObject({ status: 503, reason: 'engine_throttled', retryAfterS: 4 });
      expect(server.seen).toHaveLength(3);
    });

    it('fails with EngineRejectedError carrying a ModelError 400’s container message', async () => {
      const message = 'prompt has 5000 tokens; the context holds 4096';
      server.script(modelError(400, { error: message, error_type: 'validation' }));

      const err = await failure(engine.generate({ prompt: 'long' }));

      expect(err).toBeInstanceOf(EngineRejectedError);
      expect(err).toMatchObject({ status: 400, message });
      expect(server.seen).toHaveLength(1);
    });

    it.each([
      [429, { error: 'queue full', error_type: 'queue_full' }, 503, 'engine_throttled', 3],
      [503, { error: 'draining', error_type: 'draining' }, 503, 'engine_draining', 3],
      [
        500,
        { error: 'decode failed', error_type: 'generation_failed' },
        502,
        'generation_failed',
        1,
      ],
    ])(
      'maps a ModelError with container status %s like the HTTP client does',
      async (originalStatus, body, status, reason, attempts) => {
        server.script(modelError(originalStatus, body));

        const err = await failure(engine.generate({ prompt: 'tea' }));

        expect(err).toMatchObject({ status, reason });
        expect(server.seen).toHaveLength(attempts);
      },
    );

    it.each([
      [429, 'ModelNotReadyException', 503, 'engine_loading', 3],
      [503, 'ServiceUnavailable', 503, 'engine_unavailable', 3],
      [500, 'InternalFailure', 503, 'engine_unavailable', 3],
      [400, 'ValidationError', 502, 'endpoint_invalid', 1],
    ])('maps a %s %s by its name', async (httpStatus, errorType, status, reason, attempts) => {
      server.script(awsError(httpStatus, errorType, { message: `${errorType} from test` }));

      const err = await failure(engine.generate({ prompt: 'tea' }));

      expect(err).toMatchObject({ status, reason });
      expect(server.seen).toHaveLength(attempts);
    });
    it('fails with a 504 at its deadline when the endpoint does not answer', async () => {
      server.script(hang);

      const err = await failure(engine.generate({ prompt: 'tea' }, { deadlineMs: 300 }));

      expect(err).toMatchObject({ status: 504, reason: 'deadline_exceeded' });
      await server.seen[0]?.aborted;
    });

    it('rejects with the caller’s abort reason', async () => {
      server.script(hang);
      const controller = new AbortController();
      const reason = new Error('client went away');

      const pending = failure(engine.generate({ prompt: 'tea' }, { signal: controller.signal }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      controller.abort(reason);

      expect(await pending).toBe(reason);
      await server.seen[0]?.aborted;
    });
  });

  describe('Method: stream', () => {
    it('re-decodes PayloadPart bytes that split a character, no U+FFFD (case 18)', async () => {
      const sse = Buffer.from(
        'event: token\ndata: {"index":0,"text":"赋"}\n\n' +
          'event: token\ndata: {"index":0,"text":"能"}\n\n' +
          `event: done\ndata: ${JSON.stringify(answer)}\n\n`,
      );
      // cut inside 赋 (E8 B5 | 8B) and inside 能
      const cutA = sse.indexOf(Buffer.from('赋')) + 2;
      const cutB = sse.indexOf(Buffer.from('能')) + 1;
      server.script(
        awsStream(
          [
            { payload: sse.subarray(0, cutA) },
            { payload: sse.subarray(cutA, cutB) },
            { payload: sse.subarray(cutB) },
          ],
          'A',
        ),
      );

      const events = await collect(engine.stream({ prompt: 'tea' }, { targetVariant: 'A' }));

      expect(events).toEqual([
        { type: 'token', index: 0, text: '赋' },
        { type: 'token', index: 0, text: '能' },
        { type: 'done', response: { ...answer, invoked_variant: 'A' } },
      ]);
      expect(server.seen[0]?.url).toBe('/endpoints/adcopy-test/invocations-response-stream');
      expect(server.seen[0]?.headers['x-amzn-sagemaker-target-variant']).toBe('A');
      expect(JSON.parse(server.seen[0]?.body ?? '{}')).toMatchObject({ stream: true });
    });

    it('fails with a 502 stream_failed on a ModelStreamError after tokens', async () => {
      server.script(
        awsStream([
          { payload: 'event: token\ndata: {"index":0,"text":"好"}\n\n' },
          { exception: 'ModelStreamError', message: 'container closed the stream' },
        ]),
      );
      const seen: EngineStreamEvent[] = [];

      const err = await streamFailure(engine.stream({ prompt: 'tea' }), seen);

      expect(seen).toEqual([{ type: 'token', index: 0, text: '好' }]);
      expect(err).toMatchObject({ status: 502, reason: 'stream_failed' });
    });

    it('retries a throttled stream before it opens', async () => {
      server.script(
        awsError(400, 'ThrottlingException'),
        awsStream([{ payload: `event: done\ndata: ${JSON.stringify(answer)}\n\n` }]),
      );

      const events = await collect(engine.stream({ prompt: 'tea' }));

      expect(events).toEqual([
        { type: 'done', response: { ...answer, invoked_variant: 'AllTraffic' } },
      ]);
      expect(server.seen).toHaveLength(2);
    });
  });
});
