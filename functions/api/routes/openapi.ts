/**
 * Shared OpenAPI pieces: the problem document and its responses.
 * @module
 */
import { z } from '@hono/zod-openapi';

import { PROBLEM_TYPES } from '../problems.js';

/** RFC 9457 problem details as this API writes them. */
export const ProblemSchema = z
  .object({
    type: z.string().meta({ example: '/docs#problem-invalid_request' }),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string(),
    reason: z.string().optional(),
    terms: z.array(z.string()).optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

type Status = (typeof PROBLEM_TYPES)[keyof typeof PROBLEM_TYPES]['status'];

/** OpenAPI responses for the given problem statuses, each described by its problem types. */
export function problemResponses(...statuses: Status[]) {
  return Object.fromEntries(
    statuses.map((status) => {
      const types = Object.entries(PROBLEM_TYPES)
        .filter(([, problem]) => problem.status === status)
        .map(([type, problem]) => `\`${type}\`: ${problem.title}`);
      return [
        status,
        {
          description: types.join('; '),
          content: { 'application/problem+json': { schema: ProblemSchema } },
        },
      ];
    }),
  );
}
