/**
 * QA of hit replays and request ids (issue #5): each test tries to make a replayed answer differ
 * from what the full path would have answered, or to slip a request past a check.
 */
import { createHash } from 'node:crypto';

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { createApiDeps, createApp, readApiConfig, startApi } from '../../functions/api/index.js';
import { parseVariants, variantPicker } from '../../functions/api/ab.js';
import { MemoryCacheStore, type JsonValue } from '../../layers/cache/index.js';
import { HttpEngine } from '../../layers/engine-client/index.js';
import { createLogger } from '../../layers/observability/index.js';
import { RUNNING_SHOE_BRIEF } from '../helpers/briefs.js';
import { startTestEngine } from '../helpers/engine.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';
import { CountingEngine, json, postJson } from './helpers.js';

const KEY_A = 'adk_qa-replay-team-a-0123456789';
const ORIGIN = 'https://studio.example';
// A seed keeps the tiny model's answer complete and so cacheable on every run.
const BRIEF_TEXT = JSON.stringify({ ...RUNNING_SHOE_BRIEF, variants: 1, seed: 7 });

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

let engine: Awaited<ReturnType<typeof startTestEngine>>;

beforeAll(async () => {
  engine = await startTestEngine(SHARED_TINY_MODEL, { contextSize: 2048 });
});
afterAll(async () => engine?.close());
afterEach(() => vi.restoreAllMocks());

/** The in-memory store, remembering the keys it was given, so a test can drop an entry. */
class KeyedMemoryStore extends MemoryCacheStore {
  readonly keys: string[] = [];

  override async set(key: string, value: JsonValue, ttlSeconds: number): Promise<void> {
    this.keys.push(key);
    return super.set(key, value, ttlSeconds);
  }
}

/** The API on the real engine, the rate limit lifted unless `env` sets it. */
function apiWith(env: NodeJS.ProcessEnv = {}, store = new KeyedMemoryStore()) {
  const counting = new CountingEngine(new HttpEngine({ baseUrl: engine.url }));
  const config = readApiConfig({ ENGINE_URL: engine.url, RATE_LIMIT_BURST: '1000', ...env });
  const logger = createLogger('qa-replay');
  const deps = createApiDeps(config, { engine: counting, logger, store });
  return { app: createApp(deps), engine: counting, deps, store };
}

type Api = ReturnType<typeof apiWith>;

function stored(id: string, key: string): string {
  return `${id}:${createHash('sha256').update(key).digest('hex')}`;
}

/** Sends `body` twice, a miss then a cache hit, so that the API holds it for replay. */
async function hold(api: Api, body: string, headers: Record<string, string> = {}) {
  const first = await postJson(api.app, '/v1/copies', body, headers);
  const hit = await postJson(api.app, '/v1/copies', body, headers);
  expect(first.status).toBe(200);
  expect((await json(hit)).cached).toBe(true);
}

/** Everything stdout receives while `run` runs. */
async function stdoutOf(run: () => Promise<void>): Promise<string[]> {
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  await run();
  vi.restoreAllMocks();
  return written;
}

describe('a replayed hit looks like the full path answer', () => {
  it('carries the same headers as the cache hit before it, CORS included', async () => {
    const api = apiWith({ CORS_ORIGINS: ORIGIN });
    await postJson(api.app, '/v1/copies', BRIEF_TEXT, { origin: ORIGIN });
    const hit = await postJson(api.app, '/v1/copies', BRIEF_TEXT, { origin: ORIGIN });
    const replayed = await postJson(api.app, '/v1/copies', BRIEF_TEXT, { origin: ORIGIN });
    const withoutId = (response: Response) =>
      [...response.headers.entries()].filter(([name]) => name !== 'x-request-id');

    expect(api.deps.replay?.hits).toBe(1);
    expect(withoutId(replayed)).toEqual(withoutId(hit));
    expect(replayed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(replayed.headers.get('content-type')).toBe('application/json');
  });

  it('sends the same header names over the Node server, with a true Content-Length', async () => {
    const { engine: counting, deps } = apiWith({ CORS_ORIGINS: ORIGIN });
    const server = await startApi(deps, { port: 0 });
    const post = () =>
      fetch(`${server.url}/v1/copies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: ORIGIN },
        body: BRIEF_TEXT,
      });
    try {
      await (await post()).text();
      const hit = await post();
      await hit.text();
      const replayed = await post();
      const replayedBody = await replayed.text();
      const names = (response: Response) => [...response.headers.keys()].sort();

      expect(deps.replay?.hits).toBe(1);
      expect(counting.calls).toBe(1);
      expect(names(replayed)).toEqual(names(hit));
      expect(replayed.headers.get('content-length')).toBe(String(Buffer.byteLength(replayedBody)));
      expect(JSON.parse(replayedBody).requestId).toBe(replayed.headers.get('x-request-id'));
    } finally {
      await server.close();
    }
  });

  it("keeps the caller's plain x-request-id on a replay and replaces one that is not", async () => {
    const api = apiWith();
    await hold(api, BRIEF_TEXT);

    const kept = await postJson(api.app, '/v1/copies', BRIEF_TEXT, { 'x-request-id': 'ad-7=' });
    const replaced = await postJson(api.app, '/v1/copies', BRIEF_TEXT, {
      'x-request-id': 'two words',
    });
    const replacedBody = await json(replaced);

    expect(api.deps.replay?.hits).toBe(2);
    expect(kept.headers.get('x-request-id')).toBe('ad-7=');
    expect((await json(kept)).requestId).toBe('ad-7=');
    expect(replacedBody.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(replaced.headers.get('x-request-id')).toBe(replacedBody.requestId);
  });

  it('holds bodies with a byte-order mark, trailing blanks or U+2028 apart, as sent', async () => {
    const api = apiWith();
    const unicode = JSON.stringify({ ...JSON.parse(BRIEF_TEXT), tone: 'energetic\u2028🏃' });
    const spellings = [`\uFEFF${BRIEF_TEXT}`, `${BRIEF_TEXT}\n\t `, unicode];
    const answers = [];
    for (const body of spellings) {
      for (let i = 0; i < 3; i++)
        answers.push(await json(await postJson(api.app, '/v1/copies', body)));
    }

    // Each spelling is held apart: the first hit of each goes through the full path.
    expect(api.deps.replay?.hits).toBe(4);
    expect(answers.map((answer) => answer.cached)).toEqual([
      false,
      true,
      true,
      true,
      true,
      true,
      false,
      true,
      true,
    ]);
    expect(new Set(answers.slice(0, 6).map((answer) => answer.variants[0].text)).size).toBe(1);
  });
});

describe('a replay outlives its cache entry', () => {
  it('by at most HIT_REPLAY_MS, as the README says, then the full path misses', async () => {
    const api = apiWith({ HIT_REPLAY_MS: '1000' });
    await hold(api, BRIEF_TEXT);
    const dropped = [...api.store.keys];
    await Promise.all(dropped.map((key) => api.store.delete(key)));

    const stale = await json(await postJson(api.app, '/v1/copies', BRIEF_TEXT));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const fresh = await json(await postJson(api.app, '/v1/copies', BRIEF_TEXT));

    expect(dropped).toHaveLength(1);
    expect(stale.cached).toBe(true);
    expect(fresh.cached).toBe(false);
    expect(api.deps.replay?.hits).toBe(1);
    expect(api.engine.calls).toBe(2);
  });
});

describe('a held body still meets every check before the replay', () => {
  it('spends a rate-limit token on a replay and answers 429 once they are spent', async () => {
    const api = apiWith({ RATE_LIMIT_BURST: '3', RATE_LIMIT_PER_SECOND: '0.001' });
    await hold(api, BRIEF_TEXT);

    const replayed = await postJson(api.app, '/v1/copies', BRIEF_TEXT);
    const limited = await postJson(api.app, '/v1/copies', BRIEF_TEXT);

    expect(replayed.status).toBe(200);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1000');
    expect(api.deps.replay?.hits).toBe(1);
  });

  it('refuses a held body sent with a wrong key or a charset other than UTF-8', async () => {
    const api = apiWith({ API_KEYS: stored('team-a', KEY_A) });
    const auth = { authorization: `Bearer ${KEY_A}` };
    await hold(api, BRIEF_TEXT, auth);

    const wrongKey = await postJson(api.app, '/v1/copies', BRIEF_TEXT, {
      authorization: 'Bearer adk_not-a-key',
    });
    const latin1 = await postJson(api.app, '/v1/copies', BRIEF_TEXT, {
      ...auth,
      'content-type': 'application/json; charset=iso-8859-1',
    });

    expect(wrongKey.status).toBe(403);
    expect(latin1.status).toBe(415);
    expect(api.deps.replay?.hits).toBe(0);
  });

  it('replays a body of exactly MAX_BODY_BYTES and refuses it one byte longer', async () => {
    const api = apiWith({ MAX_BODY_BYTES: '2048' });
    const padded = BRIEF_TEXT + ' '.repeat(2048 - Buffer.byteLength(BRIEF_TEXT));
    await hold(api, padded);

    const replayed = await postJson(api.app, '/v1/copies', padded);
    const over = await postJson(api.app, '/v1/copies', `${padded} `);

    expect(Buffer.byteLength(padded)).toBe(2048);
    expect(replayed.status).toBe(200);
    expect(over.status).toBe(413);
    expect(api.deps.replay?.hits).toBe(1);
  });
});

describe('A/B variants of replays', () => {
  const VARIANTS = 'blue:50,green:50';
  const pick = variantPicker(parseVariants(VARIANTS));
  // Two callers the 50/50 split sends to different variants.
  const other = ['c2', 'c3', 'c4', 'c5', 'c6', 'c7'].find((id) => pick(id) !== pick('c1'))!;

  it('follows x-caller-id on an open API, as the full path does', async () => {
    const api = apiWith({ AB_VARIANTS: VARIANTS });
    const variantOf = async (caller: string) =>
      (await json(await postJson(api.app, '/v1/copies', BRIEF_TEXT, { 'x-caller-id': caller })))
        .productionVariant;

    const answered = [];
    for (let round = 0; round < 3; round++) {
      answered.push([await variantOf('c1'), await variantOf(other)]);
    }

    expect(answered).toEqual(Array(3).fill([pick('c1'), pick(other)]));
    expect(api.deps.replay?.hits).toBe(2);
  });

  it("ignores x-caller-id on a keyed API: a replay keeps the key's own variant", async () => {
    const api = apiWith({ AB_VARIANTS: VARIANTS, API_KEYS: stored('team-a', KEY_A) });
    const auth = { authorization: `Bearer ${KEY_A}` };
    await hold(api, BRIEF_TEXT, auth);
    const notTeamA = ['c1', 'c2', 'c3', 'c4'].find((id) => pick(id) !== pick('team-a'))!;

    const replayed = await postJson(api.app, '/v1/copies', BRIEF_TEXT, {
      ...auth,
      'x-caller-id': notTeamA,
    });

    expect(api.deps.replay?.hits).toBe(1);
    expect((await json(replayed)).productionVariant).toBe(pick('team-a'));
  });
});

describe('what a replay reports', () => {
  it('logs one copy_generated event per answer, with its own copy id and latency', async () => {
    const previous = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    const answers: Array<Record<string, unknown>> = [];
    const written = await stdoutOf(async () => {
      const api = apiWith();
      for (let i = 0; i < 3; i++) {
        answers.push(await json(await postJson(api.app, '/v1/copies', BRIEF_TEXT)));
      }
    }).finally(() => {
      process.env.POWERTOOLS_LOG_LEVEL = previous;
    });

    const events = written
      .filter((line) => line.includes('"copy_generated"'))
      .map((line) => JSON.parse(line));
    expect(events.map((event) => [event.copy_id, event.request_id, event.latency_ms])).toEqual(
      answers.map((answer) => [
        answer.id,
        answer.requestId,
        (answer.timings as { totalMs: number }).totalMs,
      ]),
    );
    expect(events.map((event) => event.cached)).toEqual([false, true, true]);
    expect(written.join('')).not.toContain(RUNNING_SHOE_BRIEF.product);
  });

  it('counts replays as hits in the published CacheHitRatio', async () => {
    const written = await stdoutOf(async () => {
      const api = apiWith();
      for (let i = 0; i < 4; i++) await postJson(api.app, '/v1/copies', BRIEF_TEXT);
      expect(api.deps.replay?.hits).toBe(2);
      api.deps.metrics?.flushIfDue(Date.now() + 60_000);
    });

    const emf = JSON.parse(written.find((line) => line.includes('"_aws"')) ?? '{}');
    expect(emf).toMatchObject({ Answers: 4, CacheHitRatio: 75 });
  });
});

describe('the request id on every response', () => {
  const ID = 'qa-request-7';
  const JSON_TYPE = { 'content-type': 'application/json' };
  const cases: Array<[string, string, RequestInit, number]> = [
    ['no route', '/v1/nowhere', {}, 404],
    ['wrong method', '/v1/copies', { method: 'DELETE' }, 405],
    ['docs', '/docs', {}, 200],
    ['docs, HEAD', '/docs', { method: 'HEAD' }, 200],
    ['OpenAPI document', '/openapi.json', {}, 200],
    ['bad JSON', '/v1/copies', { method: 'POST', headers: JSON_TYPE, body: '{' }, 400],
    ['wrong content type', '/v1/copies', { method: 'POST', body: BRIEF_TEXT }, 415],
    [
      'event stream',
      '/v1/copies',
      { method: 'POST', headers: { ...JSON_TYPE, accept: 'text/event-stream' }, body: BRIEF_TEXT },
      200,
    ],
  ];

  it.each(cases)('is on the %s response', async (_name, path, init, status) => {
    const api = apiWith();
    const response = await api.app.request(path, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), 'x-request-id': ID },
    });
    const body = await response.text();

    expect(response.status).toBe(status);
    expect(response.headers.get('x-request-id')).toBe(ID);
    if (response.headers.get('content-type') === 'application/problem+json') {
      expect(JSON.parse(body).requestId).toBe(ID);
    }
  });

  it('is on a CORS preflight and on a 401', async () => {
    const api = apiWith({ CORS_ORIGINS: ORIGIN, API_KEYS: stored('team-a', KEY_A) });
    const preflight = await api.app.request('/v1/copies', {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'x-request-id': ID },
    });
    const keyless = await postJson(api.app, '/v1/copies', BRIEF_TEXT, { 'x-request-id': ID });

    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('x-request-id')).toBe(ID);
    expect(keyless.status).toBe(401);
    expect(keyless.headers.get('x-request-id')).toBe(ID);
  });
});
