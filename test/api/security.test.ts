import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { promisify } from 'node:util';

import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { createApiDeps, createApp, readApiConfig, startApi } from '../../functions/api/index.js';
import type { Engine } from '../../layers/engine-client/index.js';
import { json, postJson } from './helpers.js';

// Edge checks answer before any generation, so any engine call fails the test.
const engineMustNotRun: Engine = {
  name: 'none',
  generate: () => Promise.reject(new Error('the engine must not be called')),
  stream: () => {
    throw new Error('the engine must not be called');
  },
};

const KEY_A = 'adk_team-a-secret-0123456789';
const KEY_B = 'adk_team-b-secret-9876543210';
const API_KEYS = [entry('team-a', KEY_A), entry('team-b', KEY_B)].join(',');
const CHECK = { texts: ['冷泡乌龙，清爽一夏'], language: 'zh' };

/** The documented stored form, computed here independently of the API's own code. */
function entry(id: string, key: string): string {
  return `${id}:${createHash('sha256').update(key).digest('hex')}`;
}

/** Everything the API's Powertools logger writes, at debug level. */
function capturedLogs() {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  return { lines, restore: () => spy.mockRestore() };
}

/** The app as `env` configures it, with an optional clock for the rate limiter. */
function appWith(env: NodeJS.ProcessEnv, now?: () => number) {
  const logger = new Logger({ serviceName: 'adcopy-api-test', logLevel: 'DEBUG' });
  const deps = createApiDeps(readApiConfig(env), { engine: engineMustNotRun, logger });
  if (now) deps.rateLimit = { ...deps.rateLimit, now };
  return createApp(deps);
}

function check(app: ReturnType<typeof createApp>, headers: Record<string, string> = {}) {
  return postJson(app, '/v1/compliance/check', CHECK, headers);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('API keys', () => {
  let logs: ReturnType<typeof capturedLogs>;
  let app: ReturnType<typeof createApp>;

  beforeEach(() => {
    logs = capturedLogs();
    app = appWith({ API_KEYS, RATE_LIMIT_BURST: '1000' });
  });

  it('returns 401 with a Bearer challenge when no key is sent', async () => {
    const response = await check(app);
    const body = await json(response);

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="adcopy"');
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(body.type).toBe('/docs#problem-unauthorized');
    expect(body.requestId).toBe(response.headers.get('x-request-id'));
  });

  it.each([
    ['a Bearer token', { authorization: 'Bearer adk_not-a-key' }],
    ['an x-api-key header', { 'x-api-key': 'adk_not-a-key' }],
    [
      'a key that differs in its last character',
      { authorization: `Bearer ${KEY_A.slice(0, -1)}8` },
    ],
  ])('returns 403 for a wrong key in %s', async (_how, headers) => {
    const response = await check(app, headers);

    expect(response.status).toBe(403);
    expect((await json(response)).type).toBe('/docs#problem-forbidden');
  });

  it.each([
    ['Authorization: Bearer', { authorization: `Bearer ${KEY_A}` }],
    ['a lower-case bearer scheme', { authorization: `bearer ${KEY_B}` }],
    ['x-api-key', { 'x-api-key': KEY_B }],
  ])('serves the request when the right key comes as %s', async (_how, headers) => {
    const response = await check(app, headers);
    const body = await json(response);

    expect(response.status).toBe(200);
    expect(body.results).toHaveLength(1);
    expect(body.results[0].passed).toBe(true);
  });

  it.each([['/v1/health'], ['/openapi.json'], ['/docs']])(
    'serves %s without a key',
    async (path) => {
      const response = await app.request(path);
      expect(response.status).toBe(200);
    },
  );

  it('writes neither the right nor a wrong key to any log line', async () => {
    await check(app, { authorization: `Bearer ${KEY_A}` });
    await check(app, { 'x-api-key': KEY_B });
    await check(app, { authorization: 'Bearer adk_wrong-key-attempt' });
    logs.restore();
    const text = logs.lines.join('');

    // The capture works: each request left its summary line with its status.
    const summaries = logs.lines
      .map((line) => JSON.parse(line))
      .filter((line) => line.message === 'request');
    expect(summaries.map((line) => line.status)).toEqual([200, 200, 403]);
    for (const secret of [KEY_A, KEY_B, 'adk_wrong-key-attempt'])
      expect(text).not.toContain(secret);
  });

  it('fails at start-up on a malformed entry without echoing it, since it may be a raw key', () => {
    const pasted = `team-c:${KEY_A}`;
    const read = () => readApiConfig({ API_KEYS: `${entry('team-a', KEY_A)},${pasted}` });

    expect(read).toThrow('API key entry 2 is not "id:sha256-hex" (64 hex digits)');
    expect(read).not.toThrow(KEY_A);
  });

  it('refuses a key with the id of the open API, which A/B and limits treat as keyless', () => {
    const read = () => readApiConfig({ API_KEYS: entry('anonymous', KEY_A) });

    expect(read).toThrow('API key entry 1 uses the reserved id "anonymous"');
  });

  it('counts returned problems (401, 403, 404, 405) in the ClientProblems metric', async () => {
    const logger = new Logger({ serviceName: 'adcopy-api-test', logLevel: 'ERROR' });
    const deps = createApiDeps(readApiConfig({ API_KEYS }), { engine: engineMustNotRun, logger });
    const keyed = createApp(deps);

    await check(keyed);
    await check(keyed, { authorization: 'Bearer adk_wrong-key-attempt' });
    await keyed.request('/nowhere');
    await keyed.request('/v1/copies');
    deps.metrics!.flushIfDue(Date.now() + 60_000);

    const emf = logs.lines.map((line) => line.trim()).filter((line) => line.includes('_aws'));
    expect(emf.map((line) => JSON.parse(line).ClientProblems)).toEqual([4]);
  });

  it('accepts the key that npm run api-key prints, with the entry it prints', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      'scripts/api-key.ts',
      'studio-east',
    ]);
    const [key, stored] = stdout
      .split('\n')
      .filter((line) => line.startsWith('  '))
      .map((l) => l.trim());
    const scripted = appWith({ API_KEYS: stored });

    expect(key).toMatch(/^adk_[A-Za-z0-9_-]{43}$/);
    expect(stored).toBe(entry('studio-east', key ?? ''));
    expect((await check(scripted, { authorization: `Bearer ${key}` })).status).toBe(200);
    expect((await check(scripted, { authorization: `Bearer ${key}x` })).status).toBe(403);
  });

  it('refuses to make a key for an id that would break the entry list', async () => {
    const run = promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      'scripts/api-key.ts',
      'a,b',
    ]);
    await expect(run).rejects.toMatchObject({ code: 2, stdout: '' });
  });
});

describe('per-key rate limit', () => {
  let clockMs: number;
  let app: ReturnType<typeof createApp>;
  const asA = { authorization: `Bearer ${KEY_A}` };
  const asB = { authorization: `Bearer ${KEY_B}` };

  beforeEach(() => {
    capturedLogs();
    clockMs = 1_000_000;
    app = appWith({ API_KEYS, RATE_LIMIT_PER_SECOND: '0.5', RATE_LIMIT_BURST: '3' }, () => clockMs);
  });

  async function statuses(count: number, headers: Record<string, string>): Promise<number[]> {
    const answers: number[] = [];
    for (let i = 0; i < count; i += 1) answers.push((await check(app, headers)).status);
    return answers;
  }

  it('returns 429 with Retry-After once the burst is spent', async () => {
    expect(await statuses(3, asA)).toEqual([200, 200, 200]);

    const response = await check(app, asA);
    const body = await json(response);

    expect(response.status).toBe(429);
    // 0.5 tokens per second: a whole token is two seconds away.
    expect(response.headers.get('retry-after')).toBe('2');
    expect(body.type).toBe('/docs#problem-rate_limited');
  });

  it('refills at the configured rate and never beyond the burst', async () => {
    await statuses(3, asA);

    clockMs += 1_000;
    expect((await check(app, asA)).status).toBe(429);
    clockMs += 1_000;
    expect(await statuses(2, asA)).toEqual([200, 429]);

    clockMs += 3_600_000;
    expect(await statuses(4, asA)).toEqual([200, 200, 200, 429]);
  });

  it('rounds Retry-After up to the next whole second', async () => {
    await statuses(3, asA);
    clockMs += 900;

    // 0.45 of a token is there; 0.55 more takes 1.1 s.
    expect((await check(app, asA)).headers.get('retry-after')).toBe('2');
    clockMs += 700;
    expect((await check(app, asA)).headers.get('retry-after')).toBe('1');
  });

  it('limits each key on its own', async () => {
    expect(await statuses(4, asA)).toEqual([200, 200, 200, 429]);
    expect(await statuses(4, asB)).toEqual([200, 200, 200, 429]);
  });

  it('spends no tokens on refused keys and never limits the probes', async () => {
    const wrong = await statuses(10, { authorization: 'Bearer adk_guess' });
    await statuses(3, asA);
    const health = await Promise.all([1, 2, 3, 4, 5].map(() => app.request('/v1/health')));

    expect(wrong).toEqual(Array(10).fill(403));
    expect(health.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await statuses(3, asB)).toEqual([200, 200, 200]);
  });
});

describe('body limit', () => {
  beforeEach(() => {
    capturedLogs();
  });

  it('counts bytes, not characters, against MAX_BODY_BYTES', async () => {
    const app = appWith({ MAX_BODY_BYTES: '1000' });
    // 300 Chinese characters are 900 UTF-8 bytes: with the JSON around them, over 1000 at 334.
    const body = (chars: number) => JSON.stringify({ brand: '山', product: '茶'.repeat(chars) });

    const fits = await postJson(app, '/v1/copies', body(310));
    const over = await postJson(app, '/v1/copies', body(334));

    expect(Buffer.byteLength(body(334))).toBeGreaterThan(1000);
    expect([...body(334)].length).toBeLessThan(1000);
    expect(fits.status).not.toBe(413);
    expect(over.status).toBe(413);
    expect((await json(over)).detail).toBe('the body is larger than 1000 bytes');
  });

  describe('on the Node server', () => {
    let api: Awaited<ReturnType<typeof startApi>>;

    beforeEach(async () => {
      const logger = new Logger({ serviceName: 'adcopy-api-test', logLevel: 'ERROR' });
      const deps = createApiDeps(readApiConfig({}), { engine: engineMustNotRun, logger });
      api = await startApi(deps, { port: 0 });
    });
    afterEach(async () => api.close());

    it('returns 413 for a chunked upload without Content-Length and stays responsive', async () => {
      const status = await upload(`${api.url}/v1/copies`, 9 * 1024 * 1024);
      const health = await fetch(`${api.url}/v1/health`);

      expect(status).toBe(413);
      expect(health.status).toBe(200);
    });

    it('returns 413 on a declared Content-Length over the limit before the body arrives', async () => {
      // Only the first chunk is ever sent: the answer must not wait for the other 10 MB.
      const status = await upload(`${api.url}/v1/copies`, 64 * 1024, 10 * 1024 * 1024);
      expect(status).toBe(413);
    });

    it('reads a body framed by Content-Length', async () => {
      const response = await fetch(`${api.url}/v1/compliance/check`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(CHECK),
      });

      expect(response.status).toBe(200);
      expect((await json(response)).results).toHaveLength(1);
    });
  });
});

/**
 * Sends `bytes` of JSON-looking data in 64 KiB chunks and resolves the status. Chunked, unless
 * `declared` gives a Content-Length, which the data then never completes.
 */
function upload(url: string, bytes: number, declared?: number): Promise<number> {
  const headers = {
    'content-type': 'application/json',
    ...(declared && { 'content-length': declared }),
  };
  return new Promise((resolve, reject) => {
    const sending = httpRequest(url, { method: 'POST', headers });
    sending.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
      sending.destroy();
    });
    sending.on('error', reject);

    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!sending.write(chunk)) return void sending.once('drain', pump);
      }
      if (!declared) sending.end();
    };
    sending.write('{"brand":"');
    pump();
  });
}

describe('content type on every JSON route', () => {
  const app = appWith({});

  beforeEach(() => {
    capturedLogs();
  });

  it.each([
    ['/v1/compliance/check', CHECK],
    ['/v1/sessions/sess_1/rewrite', { feedback: 'too formal' }],
  ])('returns 415 on %s when the body is sent as text/plain', async (path, body) => {
    const response = await postJson(app, path, body, { 'content-type': 'text/plain' });
    expect(response.status).toBe(415);
  });

  it.each([
    ['APPLICATION/JSON'],
    ['application/json;charset=utf-8'],
    ['application/json; charset="UTF-8"'],
    ['application/problem+json'],
  ])('reads %s as JSON', async (type) => {
    const response = await postJson(app, '/v1/compliance/check', CHECK, { 'content-type': type });
    expect(response.status).toBe(200);
  });

  it('returns 415 for JSON declared in a charset other than UTF-8', async () => {
    const response = await postJson(app, '/v1/compliance/check', CHECK, {
      'content-type': 'application/json; charset=iso-8859-1',
    });

    expect(response.status).toBe(415);
    expect((await json(response)).detail).toBe('JSON must be UTF-8, got charset iso-8859-1');
  });
});

describe('CORS', () => {
  const ORIGINS = 'https://ads.example.com, https://studio.example.com';

  beforeEach(() => {
    capturedLogs();
  });

  it('sends no CORS headers when CORS_ORIGINS is unset', async () => {
    const response = await check(appWith({}), { origin: 'https://ads.example.com' });

    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a preflight from a listed origin without a key', async () => {
    const app = appWith({ API_KEYS, CORS_ORIGINS: ORIGINS });
    const response = await app.request('/v1/copies', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://studio.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });

    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://studio.example.com');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
  });

  it('names a listed origin and exposes the request id and Retry-After', async () => {
    const app = appWith({ API_KEYS, CORS_ORIGINS: ORIGINS });
    const response = await check(app, { origin: 'https://ads.example.com', 'x-api-key': KEY_A });

    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://ads.example.com');
    expect(response.headers.get('access-control-expose-headers')).toBe('x-request-id,retry-after');
    expect(response.headers.get('vary')).toContain('Origin');
  });

  it('keeps CORS headers on 401 and 429, so a browser can read why', async () => {
    const app = appWith({ API_KEYS, CORS_ORIGINS: ORIGINS, RATE_LIMIT_BURST: '1' }, () => 0);
    const origin = { origin: 'https://ads.example.com' };

    const unauthorized = await check(app, origin);
    await check(app, { ...origin, 'x-api-key': KEY_A });
    const limited = await check(app, { ...origin, 'x-api-key': KEY_A });

    expect([unauthorized.status, limited.status]).toEqual([401, 429]);
    for (const response of [unauthorized, limited]) {
      expect(response.headers.get('access-control-allow-origin')).toBe('https://ads.example.com');
    }
    expect(limited.headers.get('retry-after')).toBe('1');
  });

  it('gives an origin that is not listed no CORS grant', async () => {
    const app = appWith({ CORS_ORIGINS: ORIGINS });
    const response = await check(app, { origin: 'https://evil.example.net' });

    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
