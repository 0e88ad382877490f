import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  EngineError,
  EngineRejectedError,
  HttpEngine,
  SageMakerEngine,
  type Engine,
  type EngineRequest,
} from '../../layers/engine-client/index.js';
import { startTestEngine } from '../helpers/engine.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';
import { collect, failure, tokenTexts } from './collect.js';
import { localSageMakerClient } from './fault-server.js';

type TestEngine = Awaited<ReturnType<typeof startTestEngine>>;

/** Greedy, so the streamed and the whole answer must be the same text. */
const greedy: EngineRequest = {
  prompt: '冷泡乌龙 cold brew oolong for',
  max_new_tokens: 16,
  temperature: 0,
};

let server: TestEngine;
let http: HttpEngine;
let sagemaker: SageMakerEngine;

beforeAll(async () => {
  server = await startTestEngine(SHARED_TINY_MODEL);
  http = new HttpEngine({ baseUrl: server.url });
  sagemaker = new SageMakerEngine({
    endpointName: 'adcopy-local',
    client: localSageMakerClient(server.url),
  });
});

afterAll(async () => {
  await server?.close();
});

describe.each([
  ['HttpEngine', () => http as Engine],
  ['SageMakerEngine', () => sagemaker as Engine],
])('Class: %s against the real engine on the shared tiny model', (_name, engineOf) => {
  it('generates an answer with generations, usage and timings', async () => {
    const response = await engineOf().generate(greedy, { requestId: 'real-1' });

    const [generation] = response.generations;
    expect(response.generations).toHaveLength(1);
    expect(['stop', 'length']).toContain(generation?.finish_reason);
    expect(generation?.completion_tokens).toBeGreaterThan(0);
    expect(generation?.completion_tokens).toBeLessThanOrEqual(16);
    expect(response.usage.prompt_tokens).toBeGreaterThan(0);
    expect(response.timings.total_ms).toBeGreaterThan(0);
  });

  it('streams tokens that join to the done text and to the whole answer (case 18)', async () => {
    const whole = await engineOf().generate(greedy);

    const events = await collect(engineOf().stream(greedy));

    const done = events.at(-1);
    expect(done?.type).toBe('done');
    const doneText = done?.type === 'done' ? done.response.generations[0]?.text : undefined;
    expect(tokenTexts(events).join('')).toBe(doneText);
    expect(doneText).toBe(whole.generations[0]?.text);
  });

  it('streams two candidates whose tokens join, per index, to their done texts', async () => {
    const request: EngineRequest = {
      messages: [{ role: 'user', content: '写一句冷泡乌龙的广告语' }],
      n: 2,
      max_new_tokens: 12,
      temperature: 0.8,
      seed: 7,
    };

    const events = await collect(engineOf().stream(request));

    const done = events.at(-1);
    if (done?.type !== 'done') throw new Error('the stream did not end with done');
    expect(done.response.generations.map((generation) => generation.index)).toEqual([0, 1]);
    for (const generation of done.response.generations) {
      const joined = events
        .flatMap((event) =>
          event.type === 'token' && event.index === generation.index ? [event.text] : [],
        )
        .join('');
      expect(joined).toBe(generation.text);
    }
  });

  it('fails with EngineRejectedError naming the context for a prompt too long (case 15)', async () => {
    const prompt = 'cold brew oolong tea, zero sugar, twelve hours. '.repeat(200);

    const err = await failure(engineOf().generate({ prompt, max_new_tokens: 8 }));

    expect(err).toBeInstanceOf(EngineRejectedError);
    expect(err).toMatchObject({ status: 400 });
    expect((err as Error).message).toMatch(/tokens is longer than the context/);
  });

  it.each([0, -5, 1e9])(
    'fails with EngineRejectedError for max_new_tokens %s (case 16)',
    async (n) => {
      const err = await failure(engineOf().generate({ prompt: 'tea', max_new_tokens: n }));

      expect(err).toBeInstanceOf(EngineRejectedError);
      expect((err as Error).message).toMatch(/max_new_tokens/);
    },
  );

  it('fails with a 504 when the deadline is shorter than the call', async () => {
    const err = await failure(
      engineOf().generate({ ...greedy, max_new_tokens: 200 }, { deadlineMs: 3 }),
    );

    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ status: 504, reason: 'deadline_exceeded' });
  });

  it('serves the next request at once after a stream is left early (case 20)', async () => {
    for await (const event of engineOf().stream({ ...greedy, max_new_tokens: 400 })) {
      expect(event.type).toBe('token');
      break;
    }

    const next = await engineOf().generate({ ...greedy, max_new_tokens: 4 }, { deadlineMs: 5_000 });

    expect(next.generations[0]?.completion_tokens).toBeGreaterThan(0);
  });
});

describe('Engine clients against a real engine with a full queue', () => {
  let busy: TestEngine;

  beforeAll(async () => {
    busy = await startTestEngine(SHARED_TINY_MODEL, { slots: 1, queueLimit: 1 });
  });

  afterAll(async () => {
    await busy?.close();
  });

  it.each([
    ['HttpEngine', () => new HttpEngine({ baseUrl: busy.url, retry: { maxAttempts: 1 } })],
    [
      'SageMakerEngine',
      () =>
        new SageMakerEngine({
          endpointName: 'adcopy-local',
          client: localSageMakerClient(busy.url),
          retry: { maxAttempts: 1 },
        }),
    ],
  ])('%s fails the overflow with a 503 engine_throttled and Retry-After', async (_name, make) => {
    const engine: Engine = make();
    const request = { ...greedy, max_new_tokens: 128 };

    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => engine.generate(request)),
    );

    const throttled = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason] : [],
    );
    expect(throttled.length).toBeGreaterThan(0);
    for (const err of throttled) {
      expect(err).toMatchObject({ status: 503, reason: 'engine_throttled' });
      expect((err as EngineError).retryAfterS).toBeGreaterThanOrEqual(1);
    }
    expect(results.some((result) => result.status === 'fulfilled')).toBe(true);
  });
});
