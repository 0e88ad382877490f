/**
 * Liveness and readiness.
 * @module
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';

import type { ApiEnv } from '../app.js';
import { problemResponse, ProblemError } from '../problems.js';

/** What the health routes need. */
export interface HealthDeps {
  /** True when the engine answers; `/v1/ready` reflects it. */
  ready: () => Promise<boolean>;
}

/** `GET /v1/health` (the API is up) and `GET /v1/ready` (and can reach its engine). */
export function healthRoutes(deps: HealthDeps): OpenAPIHono<ApiEnv> {
  const routes = new OpenAPIHono<ApiEnv>();
  routes.openAPIRegistry.registerPath(
    createRoute({
      method: 'get',
      path: '/v1/health',
      summary: 'The API is up',
      responses: { 200: { description: '`{"status":"ok"}`' } },
    }),
  );
  routes.openAPIRegistry.registerPath(
    createRoute({
      method: 'get',
      path: '/v1/ready',
      summary: 'The API can reach its engine',
      responses: {
        200: { description: '`{"status":"ready"}`' },
        503: { description: 'Not ready' },
      },
    }),
  );

  routes.get('/v1/health', (c) => c.json({ status: 'ok' }));
  routes.get('/v1/ready', async (c) => {
    if (await deps.ready()) return c.json({ status: 'ready' });
    return problemResponse(c, new ProblemError('engine_unavailable', 'the engine does not answer'));
  });
  return routes;
}
