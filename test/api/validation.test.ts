import { describe, expect, it } from 'vitest';

import { createApiDeps, createApp, readApiConfig } from '../../functions/api/index.js';
import type { Engine } from '../../layers/engine-client/index.js';
import { createLogger } from '../../layers/observability/index.js';
import { json, postJson } from './helpers.js';

/** Every case here must be answered before any engine work: an engine call fails the test. */
const noEngine: Engine = {
  name: 'none',
  generate: () => Promise.reject(new Error('the engine must not be called')),
  stream: () => {
    throw new Error('the engine must not be called');
  },
};

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const app = createApp(
  createApiDeps(readApiConfig({}), { engine: noEngine, logger: createLogger('t') }),
);
const B = {
  brand: '山茶',
  product: '冷泡乌龙',
  features: ['0糖'],
  channel: 'wechat_moments',
  language: 'zh',
};

async function problem(response: Response) {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return json(response);
}

describe('POST /v1/copies: bad input', () => {
  it('returns 400 invalid_json for a body that is not JSON', async () => {
    const response = await postJson(app, '/v1/copies', '{"product": "茶",');
    const body = await problem(response);

    expect(response.status).toBe(400);
    expect(body.type).toBe('/docs#problem-invalid_json');
    expect(body.requestId).toBe(response.headers.get('x-request-id'));
  });

  it('returns 400 for an empty body with the JSON type', async () => {
    const response = await postJson(app, '/v1/copies', '');
    expect(response.status).toBe(400);
    expect((await problem(response)).detail).toBe('the body is empty');
  });

  it('returns 400 naming product when it is missing', async () => {
    const response = await postJson(app, '/v1/copies', { brand: '山茶' });
    const body = await problem(response);

    expect(response.status).toBe(400);
    expect(body.errors).toContainEqual({ path: 'product', message: 'is required' });
  });

  it('returns 400 with every wrong type and its path', async () => {
    const response = await postJson(app, '/v1/copies', {
      product: 42,
      variants: 'three',
      features: 'tea',
    });
    const body = await problem(response);

    expect(response.status).toBe(400);
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'features',
      'product',
      'variants',
    ]);
  });

  it('returns 400 naming a misspelt field', async () => {
    const { language: _l, ...rest } = B;
    const body = await problem(await postJson(app, '/v1/copies', { ...rest, langauge: 'en' }));
    expect(body.errors).toEqual([{ path: '(body)', message: 'unknown field "langauge"' }]);
  });

  it.each([['   '], ['\u3000\u3000'], ['\u200B']])(
    'returns 400 on brand for the blank brand %j',
    async (brand) => {
      const response = await postJson(app, '/v1/copies', { ...B, brand });
      expect(response.status).toBe(400);
      expect((await problem(response)).errors[0].path).toBe('brand');
    },
  );

  it.each([[''], [' '], ['1e3'], ['12abc']])(
    'returns 400 for the numeric string %j',
    async (variants) => {
      const response = await postJson(app, '/v1/copies', { ...B, variants });
      expect(response.status).toBe(400);
    },
  );

  it('returns 413 naming the limit for a 6 MB brief, before any engine call', async () => {
    const features = Array.from({ length: 20_000 }, () => 'x'.repeat(300));
    const response = await postJson(app, '/v1/copies', { ...B, features });

    expect(response.status).toBe(413);
    expect((await problem(response)).detail).toBe('the body is larger than 65536 bytes');
  });

  it.each([[undefined], ['text/plain'], ['application/x-www-form-urlencoded']])(
    'returns 415 for the content type %s',
    async (type) => {
      const headers: Record<string, string> = type ? { 'content-type': type } : {};
      const response = await app.request('/v1/copies', {
        method: 'POST',
        headers,
        body: JSON.stringify(B),
      });
      expect(response.status).toBe(415);
    },
  );

  it('accepts a charset parameter on the JSON type', async () => {
    const response = await postJson(
      app,
      '/v1/copies',
      { brand: '山茶' },
      {
        'content-type': 'application/json; charset=UTF-8',
      },
    );
    // 400 (product missing) proves the body was read as JSON rather than refused as 415.
    expect(response.status).toBe(400);
  });

  it('returns 405 with Allow for a known path and the wrong method', async () => {
    const response = await app.request('/v1/copies');
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');

    const rewrite = await app.request('/v1/sessions/s1/rewrite');
    expect(rewrite.status).toBe(405);
    expect(rewrite.headers.get('allow')).toBe('POST');
    const docs = await app.request('/docs', { method: 'POST' });
    expect(docs.headers.get('allow')).toBe('GET');
  });

  it('returns 404 as a problem for unknown routes', async () => {
    const response = await app.request('/v1/nothing');
    expect(response.status).toBe(404);
    expect((await problem(response)).type).toBe('/docs#problem-not_found');
  });
});

describe('GET /v1/health', () => {
  it('answers ok once the API is up', async () => {
    const response = await app.request('/v1/health');
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ status: 'ok' });
  });
});

describe('GET /openapi.json', () => {
  it('publishes the brief schema with its snake_case aliases documented', async () => {
    const document = await json(await app.request('/openapi.json'));

    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/copies', '/v1/compliance/check', '/v1/health']),
    );
    expect(document.components.schemas.Brief.properties.product.description).toContain(
      'product_name',
    );
  });

  it('renders a reference page at /docs', async () => {
    const page = await (await app.request('/docs')).text();
    expect(page).toContain('POST /v1/copies');
    expect(page).toContain('id="problem-unlawful_brief"');
  });
});
