import { beforeEach, describe, expect, it } from 'vitest';

import {
  EngineError,
  EngineRejectedError,
  HttpEngine,
  type EngineStreamEvent,
} from '../../layers/engine-client/index.js';
import { collect, failure, streamFailure } from './collect.js';
import {
  chunks,
  engineAnswer,
  hang,
  json,
  startFaultServer,
  useFaultServer,
  type FaultServer,
} from './fault-server.js';

const answer = engineAnswer('好茶一杯', 'gen_1');
const serverOf = useFaultServer();
let server: FaultServer;
let engine: HttpEngine;

beforeEach(() => {
  server = serverOf();
  // no back-off wait in most tests: the jitter draws 0
  engine = new HttpEngine({ baseUrl: server.url, retry: { random: () => 0 } });
});

describe('Class: HttpEngine', () => {
  describe('Method: generate', () => {
    it('posts the request with stream off, its request id and the remaining deadline', async () => {
      server.script(json(200, answer));

      const response = await engine.generate(
        { prompt: '茶', max_new_tokens: 8 },
        { requestId: 'req-1', deadlineMs: 5000 },
      );

      expect(response).toEqual(answer);
      const [seen] = server.seen;
      const body = JSON.parse(seen?.body ?? '{}') as Record<string, unknown>;
      expect(seen?.url).toBe('/invocations');
      expect(seen?.headers['x-request-id']).toBe('req-1');
      expect(body).toMatchObject({ prompt: '茶', max_new_tokens: 8, stream: false });
      expect(body.deadline_ms).toBeGreaterThan(4000);
      expect(body.deadline_ms).toBeLessThanOrEqual(5000);
    });

    it('leaves off a request id that cannot travel in a header instead of failing', async () => {
      server.script(json(200, answer));

      const response = await engine.generate({ prompt: 'tea' }, { requestId: '请求-1\n' });

      expect(response.id).toBe('gen_1');
      expect(server.seen[0]?.headers['x-request-id']).toBeUndefined();
    });

    it('retries a 429 and returns the answer that follows', async () => {
      server.script(
        json(429, { error: 'queue full', error_type: 'queue_full' }, { 'retry-after': '1' }),
        json(200, answer),
      );

      const response = await engine.generate({ prompt: 'tea' });

      expect(response.id).toBe('gen_1');
      expect(server.seen).toHaveLength(2);
    });

    it('logs each retry with the request id and reason, never the prompt', async () => {
      const lines: Array<{ message: string; attributes: Record<string, unknown> }> = [];
      const logger = {
        debug: () => undefined,
        warn: (message: string, ...attributes: Array<Record<string, unknown>>) =>
          lines.push({ message, attributes: Object.assign({}, ...attributes) }),
      };
      const logged = new HttpEngine({ baseUrl: server.url, retry: { random: () => 0 }, logger });
      server.script(
        json(429, { error: 'queue full', error_type: 'queue_full' }),
        json(200, answer),
      );

      await logged.generate({ prompt: '山茶 secret brief' }, { requestId: 'req-42' });

      expect(lines).toEqual([
        {
          message: 'engine call failed, retrying',
          attributes: { request_id: 'req-42', reason: 'engine_throttled', attempt: 1, delay_ms: 0 },
        },
      ]);
      expect(JSON.stringify(lines)).not.toContain('山茶');
    });

    it('fails with a 503 engine_throttled carrying Retry-After once retries run out', async () => {
      server.script(
        json(429, { error: 'queue full', error_type: 'queue_full' }, { 'retry-after': '7' }),
      );

      const err = await failure(engine.generate({ prompt: 'tea' }));

      expect(err).toBeInstanceOf(EngineError);
      expect(err).toMatchObject({ status: 503, reason: 'engine_throttled', retryAfterS: 7 });
      expect(server.seen).toHaveLength(3);
    });

    it.each([
      ['draining', 'engine_draining'],
      ['loading', 'engine_loading'],
    ])('fails with a 503 for an engine that is %s', async (errorType, reason) => {
      server.script(json(503, { error: `engine is ${errorType}`, error_type: errorType }));

      const err = await failure(engine.generate({ prompt: 'tea' }));

      expect(err).toMatchObject({ status: 503, reason, retryAfterS: 1 });
    });

    it('fails with EngineRejectedError carrying the engine message, without a retry', async () => {
      const message = 'prompt has 4100 tokens; the context holds 4096';
      server.script(json(400, { error: message, error_type: 'validation' }));

      const err = await failure(engine.generate({ prompt: 'long' }));

      expect(err).toBeInstanceOf(EngineRejectedError);
      expect(err).toMatchObject({ status: 400, message, errorType: 'validation' });
      expect(server.seen).toHaveLength(1);
    });

    it.each([413, 422])('fails with EngineRejectedError for an engine %s', async (status) => {
      server.script(
        json(status, { error: 'body too large: 7 MB over 6 MB', error_type: 'validation' }),
      );

      const err = await failure(engine.generate({ prompt: 'tea' }));

      expect(err).toBeInstanceOf(EngineRejectedError);
      expect(err).toMatchObject({ status: 400, message: 'body too large: 7 MB over 6 MB' });
    });

    it('fails with a 502 engine_misconfigured for a 404, not a 400 that blames the brief', async () => {
      server.script(json(404, { error: 'no such route' }));

      const err = await failure(engine.generate({ prompt: 'tea' }));

      expect(err).toBeInstanceOf(EngineError);
      expect(err).toMatchObject({ status: 502, reason: 'engine_misconfigured' });
      expect(server.seen).toHaveLength(1);
    });

    it.each([0, -1, Number.NaN])('fails with a TypeError for deadlineMs %s', async (deadlineMs) => {
      await expect(engine.generate({ prompt: 'tea' }, { deadlineMs })).rejects.toThrow(
        /deadlineMs must be a number of ms > 0/,
      );
      expect(server.seen).toHaveLength(0);
    });

    it('fails with a 502 generation_failed for an engine 500, without a retry', async () => {
      server.script(json(500, { error: 'decode failed', error_type: 'generation_failed' }));

      const err = await failure(engine.generate({ prompt: 'tea' }));

      expect(err).toMatchObject({ status: 502, reason: 'generation_failed', retryable: false });
      expect(server.seen).toHaveLength(1);
    });

    it('fails with a 502 bad_engine_response for a body that is not the protocol', async () => {
      server.script(json(200, { text: 'no generations here' }));

      const err = await failure(engine.generate({ prompt: 'tea' }));

      expect(err).toMatchObject({ status: 502, reason: 'bad_engine_response' });
    });

    it('fails with a 504 when a candidate ends with finish reason deadline', async () => {
      const cut = {
        ...answer,
        generations: [{ ...answer.generations[0], finish_reason: 'deadline' }],
      };
      server.script(json(200, cut));

      const err = await failure(engine.generate({ prompt: 'tea' }));

      expect(err).toMatchObject({ status: 504, reason: 'deadline_exceeded' });
    });

    it('fails with a 504 at its deadline when the engine does not answer', async () => {
      server.script(hang);
      const started = performance.now();

      const err = await failure(engine.generate({ prompt: 'tea' }, { deadlineMs: 300 }));

      expect(err).toMatchObject({ status: 504, reason: 'deadline_exceeded' });
      expect(performance.now() - started).toBeLessThan(2000);
      await server.seen[0]?.aborted;
    });

    it('stops retrying when the next back-off would pass the deadline (case 14)', async () => {
      server.script(json(429, { error: 'queue full', error_type: 'queue_full' }));
      const slow = new HttpEngine({
        baseUrl: server.url,
        retry: { maxAttempts: 10, baseDelayMs: 400, random: () => 1 },
      });
      const started = performance.now();

      const err = await failure(slow.generate({ prompt: 'tea' }, { deadlineMs: 1000 }));

      // attempts at 0 and ~400 ms; the third would wait 800 ms more, past the deadline
      expect(err).toMatchObject({ status: 503, reason: 'engine_throttled' });
      expect(server.seen).toHaveLength(2);
      expect(performance.now() - started).toBeLessThan(1000);
    });

    it('fails with a 502 engine_unreachable after retries when nothing listens', async () => {
      const closed = await startFaultServer();
      await closed.close();
      const gone = new HttpEngine({ baseUrl: closed.url, retry: { random: () => 0 } });

      const err = await failure(gone.generate({ prompt: 'tea' }));

      expect(err).toMatchObject({ status: 502, reason: 'engine_unreachable' });
      expect((err as Error).message).toContain('ECONNREFUSED');
    });

    it('rejects with the caller’s abort reason and drops the engine request', async () => {
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
    const sse = 'text/event-stream';

    it('joins a character split across chunks without U+FFFD (case 18)', async () => {
      const fu = Buffer.from('赋', 'utf8');
      server.script(
        chunks(200, sse, [
          Buffer.concat([
            Buffer.from('event: token\ndata: {"index":0,"text":"'),
            fu.subarray(0, 2),
          ]),
          Buffer.concat([
            fu.subarray(2),
            Buffer.from('"}\n\nevent: token\r\ndata: {"index":0,"text":"能"}\r\n\r'),
          ]),
          `\nevent: done\ndata: ${JSON.stringify(answer)}\n\n`,
        ]),
      );

      const events = await collect(engine.stream({ prompt: 'tea' }));

      const tokens = events.flatMap((event) => (event.type === 'token' ? [event.text] : []));
      expect(tokens).toEqual(['赋', '能']);
      expect(events.at(-1)).toEqual({ type: 'done', response: answer });
      expect(JSON.parse(server.seen[0]?.body ?? '{}')).toMatchObject({ stream: true });
    });

    it('fails with the engine error sent after the stream started', async () => {
      server.script(
        chunks(200, sse, [
          'event: token\ndata: {"index":0,"text":"好"}\n\n',
          'event: error\ndata: {"error":"slot lost","error_type":"generation_failed"}\n\n',
        ]),
      );
      const seen: EngineStreamEvent[] = [];

      const err = await streamFailure(engine.stream({ prompt: 'tea' }), seen);

      expect(seen).toEqual([{ type: 'token', index: 0, text: '好' }]);
      expect(err).toMatchObject({ status: 502, reason: 'generation_failed' });
    });

    it('fails with a 502 stream_interrupted when the stream ends without done', async () => {
      server.script(chunks(200, sse, ['event: token\ndata: {"index":0,"text":"好"}\n\n']));

      const err = await failure(collect(engine.stream({ prompt: 'tea' })));

      expect(err).toMatchObject({ status: 502, reason: 'stream_interrupted' });
    });

    it('retries a 429 before the stream starts', async () => {
      server.script(
        json(429, { error: 'queue full', error_type: 'queue_full' }),
        chunks(200, sse, [`event: done\ndata: ${JSON.stringify(answer)}\n\n`]),
      );

      const events = await collect(engine.stream({ prompt: 'tea' }));

      expect(events).toEqual([{ type: 'done', response: answer }]);
      expect(server.seen).toHaveLength(2);
    });

    it('closes the engine request when the consumer stops early (case 20)', async () => {
      const endless = Array.from(
        { length: 200 },
        () => 'event: token\ndata: {"index":0,"text":"好"}\n\n',
      );
      server.script(chunks(200, sse, endless));

      for await (const event of engine.stream({ prompt: 'tea' })) {
        expect(event.type).toBe('token');
        break;
      }

      await server.seen[0]?.aborted;
    });
  });
});
