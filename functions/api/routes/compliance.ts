/**
 * `POST /v1/compliance/check`: texts in, one verdict per text out, in order.
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';

import { channelIdSchema } from '../../../layers/channels/index.js';
import { checkTexts } from '../../../layers/compliance/index.js';
import type { ApiEnv } from '../app.js';
import { jsonBody, readJson } from '../middleware/json-body.js';
import { ProblemError } from '../problems.js';
import { problemResponses } from './openapi.js';

const MAX_TEXTS = 100;
const MAX_TEXT_CHARS = 5000;

/** The request body of the compliance check. */
export const ComplianceCheckSchema = z
  .strictObject({
    texts: z
      .array(
        z.string().refine((text) => [...text].length <= MAX_TEXT_CHARS, {
          error: `must be at most ${MAX_TEXT_CHARS} characters`,
        }),
      )
      .min(1, { error: 'send at least one text' })
      .max(MAX_TEXTS, { error: `at most ${MAX_TEXTS} texts per request` }),
    language: z.enum(['zh', 'en']).optional(),
    channel: channelIdSchema.optional(),
  })
  .meta({ id: 'ComplianceCheck' });

const route = createRoute({
  method: 'post',
  path: '/v1/compliance/check',
  summary: 'Check texts against advertising law and platform rules',
  request: {
    body: { required: true, content: { 'application/json': { schema: ComplianceCheckSchema } } },
  },
  responses: {
    200: {
      description: '`{"results":[{"passed":bool,"violations":[...]}]}`, one result per text.',
    },
    ...problemResponses(400, 413, 415),
  },
});

/** The compliance routes. */
export function complianceRoutes(): OpenAPIHono<ApiEnv> {
  const routes = new OpenAPIHono<ApiEnv>();
  routes.openAPIRegistry.registerPath(route);

  routes.post('/v1/compliance/check', jsonBody({ maxBytes: 1024 * 1024 }), (c) => {
    const parsed = ComplianceCheckSchema.safeParse(readJson(c.get('bodyText')));
    if (!parsed.success) {
      const errors = parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.') || '(body)',
        message: issue.message,
      }));
      throw new ProblemError('invalid_request', 'the check request is invalid', { errors });
    }

    const { texts, language, channel } = parsed.data;
    const options = { ...(language && { language }), ...(channel && { channel }) };
    return c.json({ results: checkTexts(texts, options) });
  });
  return routes;
}
