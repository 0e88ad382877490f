/**
 * The API on AWS Lambda, behind a Function URL in response-streaming mode (so server-sent events
 * reach the client as they are written). Dependencies are built once per execution environment.
 * @module
 */
import { streamHandle } from 'hono/aws-lambda';

import { createApp } from './app.js';
import { createApiDepsFromEnv } from './deps.js';

const app = createApp(await createApiDepsFromEnv(process.env));

/** The Lambda handler: `functions/api/lambda.handler`. */
export const handler = streamHandle(app);
