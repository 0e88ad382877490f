/**
 * The API as one Hono app, the same object on Lambda and on a plain Node server.
 * @module
 */
import { LogLevelThreshold } from '@aws-lambda-powertools/logger';
import { OpenAPIHono } from '@hono/zod-openapi';
import { cors } from 'hono/cors';

import type { Logger } from '../../layers/observability/index.js';
import type { ApiMetrics } from './metrics.js';
import { apiKey, type StoredApiKey } from './middleware/api-key.js';
import { rateLimit, type RateLimitOptions } from './middleware/rate-limit.js';
import { requestIdentity } from './middleware/request-id.js';
import { problemResponse, ProblemError, toProblem } from './problems.js';
import { complianceRoutes } from './routes/compliance.js';
import { copiesRoutes, type CopiesDeps } from './routes/copies.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes, type HealthDeps } from './routes/health.js';
import { sessionsRoutes } from './routes/sessions.js';
import type { SessionHistory } from './sessions.js';

/** What the app needs from the outside world. */
export interface ApiDeps extends CopiesDeps, HealthDeps {
  logger: Logger;
  sessions: SessionHistory;
  /** Origins allowed by CORS; none means no CORS headers. @default [] */
  corsOrigins?: string[];
  /** Embedded-metric figures; none are written when absent. */
  metrics?: ApiMetrics;
  /** Hashed API keys; when empty the API runs open. @default [] */
  apiKeys?: StoredApiKey[];
  /** Per-caller token bucket. @default 5 per second, bursts of 20 */
  rateLimit?: RateLimitOptions;
}

/** Routes that need no key and are never rate limited: probes and documentation. */
const OPEN_PATHS = ['/v1/health', '/v1/ready', '/openapi.json', '/docs'];

/** Values every handler may read from the context. */
export type ApiEnv = {
  Variables: { requestId: string; requestIdInResponse?: boolean; bodyText: string; caller: string };
};

/**
 * Builds the API.
 *
 * @example
 * const app = createApp({ pipeline, logger, ready: async () => true });
 * const res = await app.request('/v1/health');
 */
export function createApp(deps: ApiDeps): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>();

  app.use(requestIdentity());
  app.use(accessLog(deps.logger, deps.metrics));
  if (deps.corsOrigins?.length) {
    app.use(cors({ origin: deps.corsOrigins, exposeHeaders: ['x-request-id', 'retry-after'] }));
  }
  app.use(apiKey({ keys: deps.apiKeys ?? [], open: OPEN_PATHS }));
  app.use(rateLimit({ ...deps.rateLimit, open: OPEN_PATHS }));

  app.route('/', healthRoutes(deps));
  app.route('/', copiesRoutes(deps));
  app.route('/', sessionsRoutes(deps));
  app.route('/', complianceRoutes());
  docsRoutes(app);

  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed) {
      const problem = new ProblemError('method_not_allowed', `${c.req.path} answers ${allowed}`);
      const response = problemResponse(c, problem);
      response.headers.set('allow', allowed);
      return response;
    }
    return problemResponse(c, new ProblemError('not_found', `no route for ${c.req.path}`));
  });
  app.onError((error, c) => {
    const problem = toProblem(error);
    if (problem.status >= 500) {
      deps.logger.error('request failed', {
        request_id: c.get('requestId'),
        error: describe(error),
      });
    }
    return problemResponse(c, problem);
  });
  return app;
}

/**
 * The methods the app's own routes answer on `path` (middleware, registered for all methods, is
 * left out), for a 405 with `Allow` when the path is right but the method is not.
 */
function allowedMethods(app: OpenAPIHono<ApiEnv>, path: string): string | undefined {
  const methods = app.routes
    .filter((route) => route.method !== 'ALL' && routePattern(route.path).test(path))
    .map((route) => route.method);
  return methods.length > 0 ? [...new Set(methods)].join(', ') : undefined;
}

/** A Hono route path such as `/v1/sessions/:id/rewrite` as a pattern over request paths. */
function routePattern(routePath: string): RegExp {
  const escaped = routePath.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[^/]+/g, '[^/]+');
  return new RegExp(`^${escaped}$`);
}

/**
 * A summary line per request (never the body, which holds the brief), problem counts and metric
 * flushes. Answered problems log at INFO; successes at DEBUG, since each answer of copy already
 * logs its `copy_generated` event.
 */
function accessLog(logger: Logger, metrics: ApiMetrics | undefined) {
  return async function accessLog(c: import('hono').Context<ApiEnv>, next: () => Promise<void>) {
    const started = performance.now();
    await next();
    const failed = c.res.status >= 400;
    // Counted here, where every answer passes: thrown problems, returned ones (401, 404, 405...).
    if (failed) metrics?.recordProblem(c.res.status);
    // The level is checked first: even a suppressed Powertools call costs microseconds.
    if (failed || logger.level <= LogLevelThreshold.DEBUG) {
      const log = failed ? logger.info.bind(logger) : logger.debug.bind(logger);
      log('request', {
        request_id: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        latency_ms: Math.round((performance.now() - started) * 100) / 100,
      });
    }
    metrics?.flushIfDue();
  };
}

function describe(error: unknown): Record<string, unknown> {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { value: String(error) };
}
