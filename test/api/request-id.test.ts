import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';

import { requestIdentity, requestIdHeader } from '../../functions/api/middleware/request-id.js';

type Env = { Variables: { requestId: string; requestIdInResponse?: boolean } };

function appWithRoutes() {
  const app = new Hono<Env>();
  app.use(requestIdentity());
  app.get('/json', (c) => c.json({ requestId: c.get('requestId') }));
  app.get('/own', (c) => {
    const headers = { 'content-type': 'application/json', ...requestIdHeader(c) };
    return new Response(JSON.stringify({ requestId: c.get('requestId') }), { headers });
  });
  return app;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdentity', () => {
  it.each(['/json', '/own'])('puts the id it chose on the %s response once', async (path) => {
    const response = await appWithRoutes().request(path);
    const { requestId } = (await response.json()) as { requestId: string };

    expect(requestId).toMatch(UUID);
    expect(response.headers.get('x-request-id')).toBe(requestId);
  });

  it("keeps a caller's plain id and replaces one that is not plain or too long", async () => {
    const app = appWithRoutes();
    const idOf = async (offered: string) =>
      (await app.request('/json', { headers: { 'x-request-id': offered } })).headers.get(
        'x-request-id',
      );

    expect(await idOf('req-batch_7=')).toBe('req-batch_7=');
    expect(await idOf('two words')).toMatch(UUID);
    expect(await idOf('x'.repeat(256))).toMatch(UUID);
  });
});
