import { createHash } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApiDeps, createApp, readApiConfig } from '../../functions/api/index.js';
import { parseVariants, variantPicker } from '../../functions/api/ab.js';
import { HitReplay } from '../../functions/api/hit-replay.js';
import type { CopyResponse } from '../../layers/copy/index.js';
import { HttpEngine } from '../../layers/engine-client/index.js';
import { createLogger } from '../../layers/observability/index.js';
import { HEADPHONES_BRIEF } from '../helpers/briefs.js';
import { startTestEngine } from '../helpers/engine.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';
import { CountingEngine, json, postJson } from './helpers.js';

const KEY_A = 'adk_replay-team-a-0123456789';
const KEY_B = 'adk_replay-team-b-0123456789';

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

let engine: Awaited<ReturnType<typeof startTestEngine>>;

beforeAll(async () => {
  engine = await startTestEngine(SHARED_TINY_MODEL, { contextSize: 2048 });
});
afterAll(async () => engine?.close());

function apiWith(env: NodeJS.ProcessEnv = {}) {
  const counting = new CountingEngine(new HttpEngine({ baseUrl: engine.url }));
  const config = readApiConfig({ RATE_LIMIT_BURST: '1000', ...env });
  const deps = createApiDeps(config, { engine: counting, logger: createLogger('replay-test') });
  return { app: createApp(deps), engine: counting, deps };
}

function stored(id: string, key: string): string {
  return `${id}:${createHash('sha256').update(key).digest('hex')}`;
}

/** The answer without what every response makes its own: ids and total time. */
function sharedPart(body: Record<string, unknown>) {
  const { id: _id, requestId: _requestId, timings, ...rest } = body;
  return { ...rest, engineMs: (timings as { engineMs: number }).engineMs };
}

describe('replaying cache hits of byte-identical briefs', () => {
  // A session's answers are recorded on every request, so the brief here has none.
  const { session_id: _session, ...sessionless } = HEADPHONES_BRIEF;
  const text = JSON.stringify({ ...sessionless, output_style: '一句话' });

  it('answers a third identical body as the cache did the second, with fresh ids', async () => {
    const api = apiWith();
    const first = await postJson(api.app, '/v1/copies', text);
    const callsAfterFirst = api.engine.calls;
    const hit = await json(await postJson(api.app, '/v1/copies', text));
    const replayed = await postJson(api.app, '/v1/copies', text);
    const body = await json(replayed);

    expect(first.status).toBe(200);
    expect(hit.cached).toBe(true);
    expect(api.deps.replay?.hits).toBe(1);
    expect(api.engine.calls).toBe(callsAfterFirst);
    expect(replayed.status).toBe(200);
    expect(replayed.headers.get('content-type')).toMatch(/^application\/json/);
    expect(replayed.headers.get('x-request-id')).toBe(body.requestId);
    expect(sharedPart(body)).toEqual(sharedPart(hit));
    expect(body.id).toMatch(/^cpy_[0-9a-f]{20}$/);
    expect(body.id).not.toBe(hit.id);
    expect(body.requestId).not.toBe(hit.requestId);
    expect(body.timings.totalMs).toBeGreaterThanOrEqual(0);
  });

  it('replays exact bytes only: the brief spelled otherwise takes the full path', async () => {
    const api = apiWith();
    await postJson(api.app, '/v1/copies', text);
    await postJson(api.app, '/v1/copies', text);
    const respaced = JSON.stringify(JSON.parse(text), null, 2);

    const body = await json(await postJson(api.app, '/v1/copies', respaced));

    expect(body.cached).toBe(true);
    expect(api.deps.replay?.hits).toBe(0);
  });

  it('still checks the content type and the API key of a held body', async () => {
    const api = apiWith({ API_KEYS: stored('team-a', KEY_A) });
    const auth = { authorization: `Bearer ${KEY_A}` };
    await postJson(api.app, '/v1/copies', text, auth);
    await postJson(api.app, '/v1/copies', text, auth);

    const plain = await postJson(api.app, '/v1/copies', text, {
      ...auth,
      'content-type': 'text/plain',
    });
    const keyless = await postJson(api.app, '/v1/copies', text);

    expect(plain.status).toBe(415);
    expect(keyless.status).toBe(401);
    expect(api.deps.replay?.hits).toBe(0);
  });

  it("never hands one A/B variant's answer to a caller of another", async () => {
    // Two key ids the 50/50 split sends to different variants.
    const pick = variantPicker(parseVariants('blue:50,green:50'));
    const teamB = ['team-b', 'team-c', 'team-d', 'team-e', 'team-f', 'team-g'].find(
      (id) => pick(id) !== pick('team-a'),
    )!;
    const api = apiWith({
      AB_VARIANTS: 'blue:50,green:50',
      API_KEYS: `${stored('team-a', KEY_A)},${stored(teamB, KEY_B)}`,
    });
    const variantOf = async (key: string) => {
      const response = await postJson(api.app, '/v1/copies', text, {
        authorization: `Bearer ${key}`,
      });
      return (await json(response)).productionVariant as string;
    };

    const answered = { a: [] as string[], b: [] as string[] };
    for (let round = 0; round < 3; round++) {
      answered.a.push(await variantOf(KEY_A));
      answered.b.push(await variantOf(KEY_B));
    }

    expect(answered.a).toEqual([pick('team-a'), pick('team-a'), pick('team-a')]);
    expect(answered.b).toEqual([pick(teamB), pick(teamB), pick(teamB)]);
    expect(api.deps.replay?.hits).toBe(2);
  });

  it('counts replays as cache hits in the hit-ratio metric', async () => {
    const api = apiWith();
    for (let i = 0; i < 4; i++) await postJson(api.app, '/v1/copies', text);

    const { hits, misses, hitRatio } = api.deps.metrics!.cacheStats();

    expect(api.deps.replay?.hits).toBe(2);
    expect({ hits, misses }).toEqual({ hits: 3, misses: 1 });
    expect(hitRatio).toBe(0.75);
  });

  it('never replays a brief of a session: each answer goes into its history', async () => {
    const api = apiWith();
    const inSession = JSON.stringify(HEADPHONES_BRIEF);
    for (let i = 0; i < 3; i++) await postJson(api.app, '/v1/copies', inSession);

    expect(api.deps.replay?.hits).toBe(0);
  });

  it('is off with HIT_REPLAY_MS=0: each repeat takes the full path, still a hit', async () => {
    const api = apiWith({ HIT_REPLAY_MS: '0' });
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(await json(await postJson(api.app, '/v1/copies', text)));

    expect(api.deps.replay).toBeUndefined();
    expect(answers.map((answer) => answer.cached)).toEqual([false, true, true]);
  });

  it('streams a held brief through the full path', async () => {
    const api = apiWith();
    await postJson(api.app, '/v1/copies', text);
    await postJson(api.app, '/v1/copies', text);

    const streamed = await postJson(api.app, '/v1/copies', text, { accept: 'text/event-stream' });

    expect(streamed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await streamed.text()).toContain('event: done');
    expect(api.deps.replay?.hits).toBe(0);
  });
});

describe('replay and cache time-to-live settings', () => {
  it.each([
    ['CACHE_TTL_SECONDS', '1.5'],
    ['CACHE_TTL_SECONDS', '0'],
    ['HIT_REPLAY_MS', '2500.5'],
    ['HIT_REPLAY_MS', '-1'],
  ])('refuses %s=%s at start-up, naming it', (name, value) => {
    expect(() => readApiConfig({ [name]: value })).toThrow(`${name} must be a whole number`);
  });

  it('reads any spelling of zero as replays off', () => {
    expect(readApiConfig({ HIT_REPLAY_MS: '00' }).hitReplayMs).toBe(0);
  });
});

describe('HitReplay', () => {
  const answer = {
    id: 'cpy_00000000000000000000',
    model: 'tiny',
    productionVariant: 'AllTraffic',
    cached: true,
    degraded: false,
    variants: [],
    rejected: [],
    timings: { totalMs: 1.5, engineMs: 0 },
  } as unknown as CopyResponse;

  it('holds plain cache hits only: never misses, degraded answers or session answers', () => {
    const replay = new HitReplay();
    replay.remember('miss', undefined, { ...answer, cached: false });
    replay.remember('degraded', undefined, { ...answer, degraded: true });
    replay.remember('session', undefined, { ...answer, sessionId: 's-1' });
    replay.remember('hit', undefined, answer);

    expect(replay.lookup('miss', undefined)).toBeUndefined();
    expect(replay.lookup('degraded', undefined)).toBeUndefined();
    expect(replay.lookup('session', undefined)).toBeUndefined();
    expect(replay.lookup('hit', 'blue')).toBeUndefined();
    expect(replay.lookup('hit', undefined)?.answer).toBe(answer);
  });

  it('forgets a hit after its time to live', async () => {
    const replay = new HitReplay({ ttlMs: 30 });
    replay.remember('hit', undefined, answer);
    await new Promise((resolve) => setTimeout(resolve, 60));

    expect(replay.lookup('hit', undefined)).toBeUndefined();
  });

  it('keeps its held bytes under the bound, dropping the least recently used', () => {
    const replay = new HitReplay({ maxBytes: 2000 });
    for (let i = 0; i < 10; i++) replay.remember(`brief-${i}`, undefined, answer);

    expect(replay.lookup('brief-0', undefined)).toBeUndefined();
    expect(replay.lookup('brief-9', undefined)).toBeDefined();
  });

  it('renders valid JSON whatever the request id holds', () => {
    const replay = new HitReplay();
    replay.remember('hit', undefined, answer);
    const startedAt = performance.now();
    const { answer: rendered, body } = replay.render(
      replay.lookup('hit', undefined)!,
      'a"b\\c',
      startedAt,
    );

    expect(JSON.parse(body)).toEqual({ ...rendered, requestId: 'a"b\\c' });
    expect(rendered.id).not.toBe(answer.id);
    expect(rendered.timings.engineMs).toBe(0);
  });
});
