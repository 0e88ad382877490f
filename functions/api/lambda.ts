/**
 * The API on AWS Lambda, behind a Function URL in response-streaming mode (so server-sent events
 * reach the client as they are written). Dependencies are built once per execution environment.
 * @module
 */
import type {
  Context as LambdaContext,
  LambdaFunctionURLEvent,
  StreamifyHandler,
} from 'aws-lambda';
import { streamHandle } from 'hono/aws-lambda';

import { createApp, type ApiDeps } from './app.js';
import { createApiDepsFromEnv } from './deps.js';

/** A handler marked for response streaming, as the Lambda runtime expects it. */
export type StreamingHandler = StreamifyHandler<LambdaFunctionURLEvent, void>;

/**
 * The streaming Lambda handler over the API built from `deps`. Needs the runtime's `awslambda`
 * global (present in every Node.js Lambda runtime; tests provide a stand-in).
 *
 * @example
 * export const handler = createHandler(createApiDeps(readApiConfig(), { engine }));
 */
export function createHandler(deps: ApiDeps): StreamingHandler {
  // hono types its result as a buffered handler; at run time it is the streamified function.
  const respond = streamHandle(createApp(deps)) as unknown as StreamingHandler;

  return awslambda.streamifyResponse(async function adcopyApi(event, responseStream, context) {
    addLambdaContext(deps, context);
    await respond(dropBodyOfBodilessRequest(event), responseStream, context);
  });
}

/** Adds cold start, function name and the Lambda request id to every log line of this call. */
function addLambdaContext(deps: ApiDeps, context: LambdaContext): void {
  deps.logger.addContext(context);
}

/**
 * Function URLs pass a body on GET and HEAD too, and a web `Request` refuses one there; hono would
 * then write a bare "Internal Server Error" without status or headers. Such a body means nothing.
 */
function dropBodyOfBodilessRequest(event: LambdaFunctionURLEvent): LambdaFunctionURLEvent {
  const method = event.requestContext.http.method.toUpperCase();
  if (event.body === undefined || (method !== 'GET' && method !== 'HEAD')) return event;

  const { body: _ignored, ...rest } = event;
  return { ...rest, isBase64Encoded: false };
}

/** The Lambda handler: `functions/api/lambda.handler`. */
export const handler = createHandler(await createApiDepsFromEnv(process.env));
