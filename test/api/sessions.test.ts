import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApiDeps, createApp, readApiConfig } from '../../functions/api/index.js';
import { HttpEngine } from '../../layers/engine-client/index.js';
import { createLogger } from '../../layers/observability/index.js';
import { similarity } from '../../layers/copy/index.js';
import { startTestEngine } from '../helpers/engine.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { CountingEngine, json, postJson } from './helpers.js';

const BRIEF = {
  brand: 'Stride',
  product: 'Aero trail running shoe',
  features: ['carbon plate', 'grippy outsole'],
  audience: 'weekend trail runners',
  tone: 'energetic',
  language: 'en',
  variants: 2,
};

let engine: Awaited<ReturnType<typeof startTestEngine>>;
let redis: TestRedis;

beforeAll(async () => {
  [engine, redis] = await Promise.all([
    startTestEngine(SHARED_TINY_MODEL, { contextSize: 2048 }),
    startTestRedis(),
  ]);
});
afterAll(async () => {
  await Promise.all([engine?.close(), redis?.stop()]);
});

/** The API with the given environment, over the real engine; `REDIS_URL` picks the real Redis. */
function apiWith(env: Record<string, string>) {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const counting = new CountingEngine(new HttpEngine({ baseUrl: engine.url }));
  const config = readApiConfig({ ENGINE_URL: engine.url, ...env });
  return {
    app: createApp(createApiDeps(config, { engine: counting, logger: createLogger('t') })),
    counting,
  };
}

describe.each([
  ['in memory', () => ({})],
  ['on Redis', () => ({ REDIS_URL: redis.url })],
])('Sessions %s', (_store, env) => {
  it('rewrites from Chinese and English feedback with variants unlike every earlier one', async () => {
    const { app } = apiWith(env());
    const sessionId = `sess_${Math.random().toString(36).slice(2)}`;
    const first = await json(await postJson(app, '/v1/copies', { ...BRIEF, sessionId }));
    const seen: string[] = first.variants.map((variant: { text: string }) => variant.text);

    for (const feedback of ['太正式了', 'shorter', 'add urgency']) {
      const response = await postJson(app, `/v1/sessions/${sessionId}/rewrite`, { feedback });
      const answer = await json(response);

      expect(response.status).toBe(200);
      for (const variant of answer.variants) {
        for (const earlier of seen) expect(similarity(variant.text, earlier)).toBeLessThan(0.8);
      }
      seen.push(...answer.variants.map((variant: { text: string }) => variant.text));
    }
  });

  it('serves a repeated brief from the cache', async () => {
    const { app, counting } = apiWith(env());
    const brief = { ...BRIEF, tone: `calm ${Math.random()}` };
    await postJson(app, '/v1/copies', brief);
    const calls = counting.calls;

    const again = await json(await postJson(app, '/v1/copies', brief));
    expect(again.cached).toBe(true);
    expect(counting.calls).toBe(calls);
  });
});

describe('Thirty rewrites in one session (case 15)', () => {
  it('keep answering with a bounded prompt: old turns drop, the system prompt and brief stay', async () => {
    const { app } = apiWith({});
    const sessionId = 'sess_thirty';
    await postJson(app, '/v1/copies', { ...BRIEF, variants: 1, sessionId });
    const promptTokens: number[] = [];

    for (let turn = 0; turn < 30; turn += 1) {
      const response = await postJson(app, `/v1/sessions/${sessionId}/rewrite`, {
        feedback: turn % 2 ? 'another angle' : '换个角度',
      });
      const body = await json(response);
      expect(response.status).toBe(200);
      promptTokens.push(body.usage.promptTokens / Math.max(1, body.usage.engineCalls));
    }

    // The prompt quotes at most five earlier variants, so it stops growing after five turns.
    const late = promptTokens.slice(10);
    expect(Math.max(...late)).toBeLessThan(Math.min(...late) * 1.5);
  });
});

describe('POST /v1/sessions/{id}/rewrite: bad input', () => {
  it('returns 404 for an unknown session without a brief', async () => {
    const { app } = apiWith({});
    const response = await postJson(app, '/v1/sessions/nobody/rewrite', { feedback: 'shorter' });
    expect(response.status).toBe(404);
  });

  it('starts a session from a brief sent with the feedback', async () => {
    const { app } = apiWith({});
    const response = await postJson(app, '/v1/sessions/fresh_1/rewrite', {
      feedback: '换个角度',
      brief: BRIEF,
    });
    const body = await json(response);
    expect(response.status).toBe(200);
    expect(body.sessionId).toBe('fresh_1');
  });

  it('reads variants sent as plain digits, as the brief does, and refuses other strings', async () => {
    const { app } = apiWith({});
    const ok = await postJson(app, '/v1/sessions/digits_1/rewrite', {
      feedback: 'shorter',
      variants: '1',
      brief: BRIEF,
    });
    const bad = await postJson(app, '/v1/sessions/digits_1/rewrite', {
      feedback: 'x',
      variants: '1e3',
    });

    expect(ok.status).toBe(200);
    expect((await json(ok)).variants.length).toBeLessThanOrEqual(1);
    expect(bad.status).toBe(400);
  });

  it('returns 400 for blank feedback and for unknown fields', async () => {
    const { app } = apiWith({});
    const blank = await json(
      await postJson(app, '/v1/sessions/s1/rewrite', { feedback: '\u200B ' }),
    );
    const unknown = await json(
      await postJson(app, '/v1/sessions/s1/rewrite', { feedback: 'ok', tone: 'x' }),
    );

    expect(blank.errors).toEqual([{ path: 'feedback', message: 'must not be blank' }]);
    expect(unknown.errors).toEqual([{ path: '(body)', message: 'unknown field "tone"' }]);
  });
});

describe('POST /v1/sessions/{id}/rewrite: what the rewrite may carry', () => {
  it('validates a brief sent to a session that already has one, and uses it', async () => {
    const { app } = apiWith({});
    await postJson(app, '/v1/copies', { ...BRIEF, variants: 1, sessionId: 'sess_replace' });

    const bad = await postJson(app, '/v1/sessions/sess_replace/rewrite', {
      feedback: 'shorter',
      brief: { bogus: 1, product: ['x'] },
    });
    const replaced = await json(
      await postJson(app, '/v1/sessions/sess_replace/rewrite', {
        feedback: 'shorter',
        brief: { ...BRIEF, channel: 'sms', variants: 1 },
      }),
    );

    expect(bad.status).toBe(400);
    expect(replaced.channel).toBe('sms');
  });

  it('refuses feedback that asks for unlawful claims with 422, and broken text with 400', async () => {
    const { app } = apiWith({});
    const base = { brief: { ...BRIEF, variants: 1 } };
    const unlawful = await postJson(app, '/v1/sessions/s_fb/rewrite', {
      ...base,
      feedback: '写全国第一',
    });
    const broken = await postJson(app, '/v1/sessions/s_fb/rewrite', {
      ...base,
      feedback: 'a\ud800',
    });

    expect(unlawful.status).toBe(422);
    expect((await json(unlawful)).errors[0].path).toBe('feedback');
    expect(broken.status).toBe(400);
  });
});
