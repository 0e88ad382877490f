/**
 * `POST /v1/sessions/{id}/rewrite`: feedback on a session's variants gives new ones that follow
 * it and differ from everything the session already produced.
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';

import {
  BRIEF_LIMITS,
  BriefDocSchema,
  integerField,
  BriefRejectedError,
  isBlank,
  isBrokenText,
  type CopyPipeline,
} from '../../../layers/copy/index.js';
import { checkText } from '../../../layers/compliance/index.js';
import type { ApiEnv } from '../app.js';
import { jsonBody, readJson } from '../middleware/json-body.js';
import { ProblemError } from '../problems.js';
import type { SessionHistory } from '../sessions.js';
import { readBrief } from './copies.js';
import { problemResponses } from './openapi.js';

const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The rewrite request: feedback, and optionally how many variants or a brief to start from. */
export const RewriteSchema = z
  .strictObject({
    feedback: z
      .string()
      .refine((text) => !isBlank(text), { error: 'must not be blank' })
      .refine((text) => !isBrokenText(text), { error: 'contains broken text' })
      .refine((text) => [...text].length <= 200, { error: 'must be at most 200 characters' })
      .meta({ example: '太正式了' }),
    // Numbers sent as strings follow the brief's one rule: plain digits only.
    variants: integerField(1, BRIEF_LIMITS.variants).optional(),
    brief: BriefDocSchema.optional().meta({
      description: 'Starts the session from this brief, or replaces the brief of its history.',
    }),
  })
  .meta({ id: 'Rewrite' });

const route = createRoute({
  method: 'post',
  path: '/v1/sessions/{id}/rewrite',
  summary: "Rewrite a session's copy from feedback",
  request: {
    params: z.object({ id: z.string().regex(SESSION_ID) }),
    body: { required: true, content: { 'application/json': { schema: RewriteSchema } } },
  },
  responses: {
    200: { description: 'New variants, different from every earlier variant of the session.' },
    ...problemResponses(400, 413, 415, 422, 429, 502, 503, 504),
  },
});

/** What the sessions route needs. */
export interface SessionsDeps {
  pipeline: CopyPipeline;
  sessions: SessionHistory;
  maxBodyBytes?: number;
}

/** The sessions routes. */
export function sessionsRoutes(deps: SessionsDeps): OpenAPIHono<ApiEnv> {
  const routes = new OpenAPIHono<ApiEnv>();
  routes.openAPIRegistry.registerPath(route);

  routes.post('/v1/sessions/:id/rewrite', jsonBody({ maxBytes: deps.maxBodyBytes }), async (c) => {
    const sessionId = c.req.param('id');
    if (!SESSION_ID.test(sessionId)) {
      throw new ProblemError('invalid_request', 'the session id is invalid', {
        errors: [{ path: 'id', message: 'must be 1 to 64 letters, digits, "_" or "-"' }],
      });
    }
    const request = readRewrite(readJson(c.get('bodyText')));
    assertLawfulFeedback(request.feedback);
    const state = await deps.sessions.load(sessionId);
    // A brief sent with the feedback starts the session or replaces its brief.
    const sent = request.brief === undefined ? undefined : readBrief(request.brief);
    const base = sent ?? state?.brief;
    if (!base) {
      throw new ProblemError(
        'not_found',
        `session ${sessionId} is unknown or expired; send a brief to start it`,
      );
    }

    const brief = { ...base, sessionId, variants: request.variants ?? base.variants };
    const rewrite = { feedback: request.feedback, earlierVariants: state?.earlierVariants ?? [] };
    const answer = await deps.pipeline.generate(brief, {
      requestId: c.get('requestId'),
      signal: c.req.raw.signal,
      rewrite,
    });
    await deps.sessions.record(brief, answer, request.feedback);
    return c.json({ ...answer, requestId: c.get('requestId') });
  });
  return routes;
}

/** Feedback that asks for unlawful claims ("写全国第一") is refused like such a brief: 422. */
function assertLawfulFeedback(feedback: string): void {
  const blocking = checkText(feedback).violations.filter((v) => v.severity === 'block');
  if (blocking.length === 0) return;
  const issues = blocking.map((v) => ({ path: 'feedback', message: `"${v.term}": ${v.reason}` }));
  throw new BriefRejectedError([...new Set(blocking.map((v) => v.term))], issues);
}

function readRewrite(body: unknown): { feedback: string; variants?: number; brief?: unknown } {
  // The brief inside is validated by readBrief, with its own aliases and paths.
  const { brief, ...rest } = (body ?? {}) as Record<string, unknown>;
  const parsed = RewriteSchema.omit({ brief: true }).safeParse(rest);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || '(body)',
      message:
        issue.code === 'unrecognized_keys'
          ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`
          : issue.message,
    }));
    throw new ProblemError('invalid_request', 'the rewrite request is invalid', { errors });
  }
  return { ...parsed.data, ...(brief !== undefined && { brief }) };
}
