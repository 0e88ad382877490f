/**
 * `POST /v1/copies`: a brief in, checked copy variants out, as JSON or as server-sent events.
 * @module
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';

import {
  assertLawfulBrief,
  BriefDocSchema,
  parseBrief,
  type Brief,
  type CopyPipeline,
  type CopyResponse,
} from '../../../layers/copy/index.js';
import type { Logger } from '../../../layers/observability/index.js';
import type { ApiEnv } from '../app.js';
import type { ApiMetrics } from '../metrics.js';
import type { SessionHistory } from '../sessions.js';
import { OPEN_CALLER } from '../middleware/api-key.js';
import { jsonBody, readJson } from '../middleware/json-body.js';
import { requestIdHeader } from '../middleware/request-id.js';
import type { HitReplay } from '../hit-replay.js';
import { ProblemError, toProblem } from '../problems.js';
import { problemResponses } from './openapi.js';

/** What the copies route needs. */
export interface CopiesDeps {
  pipeline: CopyPipeline;
  logger: Logger;
  /** The production variant (A/B) for a caller; undefined lets the endpoint's weights decide. */
  pickVariant?: (caller: string) => string | undefined;
  /** Counts answers for the embedded metrics. */
  metrics?: ApiMetrics;
  /** Where answers of briefs with a session id are recorded for later rewrites. */
  sessions?: SessionHistory;
  /** @default 65536 */
  maxBodyBytes?: number;
  /** Answers repeats of byte-identical briefs from their serialised hit; none when absent. */
  replay?: HitReplay;
}

const route = createRoute({
  method: 'post',
  path: '/v1/copies',
  summary: 'Generate copy variants for a brief',
  description:
    'Send `Accept: text/event-stream` to receive tokens as they are written, then each ' +
    'final variant, then a closing `done` event.',
  request: {
    body: { required: true, content: { 'application/json': { schema: BriefDocSchema } } },
  },
  responses: {
    200: { description: 'Variants, each with its length and compliance verdict.' },
    ...problemResponses(400, 413, 415, 422, 429, 502, 503, 504),
  },
});

/** The copies routes. */
export function copiesRoutes(deps: CopiesDeps): OpenAPIHono<ApiEnv> {
  const routes = new OpenAPIHono<ApiEnv>();
  routes.openAPIRegistry.registerPath(route);

  routes.post('/v1/copies', jsonBody({ maxBytes: deps.maxBodyBytes }), async (c) => {
    const startedAt = performance.now();
    const streaming = wantsEventStream(c);
    if (!streaming) {
      const replayed = replayHit(c, deps, startedAt);
      if (replayed) return replayed;
    }

    const brief = readBrief(readJson(c.get('bodyText')));
    const targetVariant = deps.pickVariant?.(callerOf(c, brief));
    const options = {
      requestId: c.get('requestId'),
      // Read only on a cache miss: on the Node server, touching the raw request's signal builds a
      // full web Request, which costs more than serving a cache hit.
      get signal() {
        return c.req.raw.signal;
      },
      ...(targetVariant && { targetVariant }),
    };

    if (streaming) {
      // Refuse an unlawful brief with its 422 before the stream's 200 is sent.
      assertLawfulBrief(brief);
      return streamCopies(c, deps, brief, options);
    }

    const answer = await deps.pipeline.generate(brief, options);
    await deps.sessions?.record(brief, answer);
    deps.replay?.remember(c.get('bodyText'), targetVariant, answer);
    logCopyGenerated(deps, c, answer);
    return c.json({ ...answer, requestId: c.get('requestId') });
  });
  return routes;
}

/**
 * The answer to a body this caller's variant already had served from cache, or undefined. A
 * body with a session id is never held, so the caller here is never the session: the same
 * caller the full path would find.
 */
function replayHit(c: Context<ApiEnv>, deps: CopiesDeps, startedAt: number) {
  if (!deps.replay) return undefined;

  const targetVariant = deps.pickVariant?.(callerOf(c));
  const hit = deps.replay.lookup(c.get('bodyText'), targetVariant);
  if (!hit) return undefined;

  const { answer, body } = deps.replay.render(hit, c.get('requestId'), startedAt);
  logCopyGenerated(deps, c, answer);
  // Plain headers keep the Node server on its fast path (see middleware/request-id.ts).
  const headers = { 'content-type': 'application/json', ...requestIdHeader(c) };
  return new Response(body, { status: 200, headers });
}

/** Validates a parsed body as a brief, or throws a 400 naming every bad field. */
export function readBrief(body: unknown): Brief {
  const parsed = parseBrief(body);
  if (!parsed.success) {
    throw new ProblemError('invalid_request', 'the brief is invalid', { errors: parsed.issues });
  }
  return parsed.data;
}

/**
 * Who is asking, for A/B assignment: the API key's id, or on an open API the caller's own
 * `x-caller-id`, else the session, else the request (a fresh draw).
 */
function callerOf(c: Context<ApiEnv>, brief?: Brief): string {
  const caller = c.get('caller');
  if (caller && caller !== OPEN_CALLER) return caller;
  return c.req.header('x-caller-id') ?? brief?.sessionId ?? c.get('requestId');
}

/** True when the Accept header asks for server-sent events (and does not refuse them with q=0). */
function wantsEventStream(c: Context<ApiEnv>): boolean {
  return (c.req.header('accept') ?? '').split(',').some((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    return type === 'text/event-stream' && (q === undefined || Number(q.slice(2)) > 0);
  });
}

function streamCopies(
  c: Context<ApiEnv>,
  deps: CopiesDeps,
  brief: Brief,
  options: Parameters<CopyPipeline['generate']>[1] & object,
): Response {
  return streamSSE(c, async (sse) => {
    const aborted = new AbortController();
    sse.onAbort(() => aborted.abort());
    const signal = AbortSignal.any([aborted.signal, c.req.raw.signal]);

    try {
      const answer = await deps.pipeline.generate(brief, {
        ...options,
        signal,
        onToken: (token) => void sse.writeSSE({ event: 'token', data: JSON.stringify(token) }),
      });
      for (const variant of answer.variants) {
        await sse.writeSSE({ event: 'variant', data: JSON.stringify(variant) });
      }
      await sse.writeSSE({
        event: 'done',
        data: JSON.stringify({ ...answer, requestId: c.get('requestId') }),
      });
      await deps.sessions?.record(brief, answer);
      logCopyGenerated(deps, c, answer);
    } catch (error) {
      if (signal.aborted) return;
      const problem = toProblem(error);
      await sse.writeSSE({
        event: 'error',
        data: JSON.stringify({
          type: problem.type,
          status: problem.status,
          detail: problem.detail,
          requestId: c.get('requestId'),
        }),
      });
    }
  });
}

/** The A/B analytics event (ids, variant, model, latency, verdict; no brief text) and metrics. */
function logCopyGenerated(deps: CopiesDeps, c: Context<ApiEnv>, answer: CopyResponse): void {
  deps.metrics?.recordAnswer(answer);
  deps.logger.info('copy_generated', {
    event: 'copy_generated',
    request_id: c.get('requestId'),
    copy_id: answer.id,
    session_id: answer.sessionId,
    production_variant: answer.productionVariant,
    model: answer.model,
    cached: answer.cached,
    degraded: answer.degraded,
    latency_ms: answer.timings.totalMs,
    variants_returned: answer.variants.length,
    variants_rejected: answer.rejected.length,
    verdict: answer.variants.every((variant) => variant.compliance.passed) ? 'passed' : 'failed',
  });
}
