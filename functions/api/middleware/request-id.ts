/**
 * Names every request, for its log lines and its `x-request-id` response header.
 * @module
 */
import { randomUUID } from 'node:crypto';

import type { Context, MiddlewareHandler } from 'hono';

/** A caller's own id is kept when it is a plain token of reasonable length (as Hono's own). */
const PLAIN_ID = /^[\w\-=]{1,255}$/;

type RequestIdEnv = { Variables: { requestId: string; requestIdInResponse?: boolean } };

/**
 * Sets `c.get('requestId')`: the caller's `x-request-id` when it is a plain token, else a fresh
 * UUID, and puts it on the response. Hono's own middleware prepares a web `Headers` object for
 * every request, which on the Node server costs several microseconds; a response that already
 * carries the header (see {@link requestIdHeader}) is left as it is.
 *
 * @example
 * app.use(requestIdentity());
 */
export function requestIdentity(): MiddlewareHandler<RequestIdEnv> {
  return async function requestIdentity(c, next) {
    const offered = c.req.header('x-request-id');
    const id = offered !== undefined && PLAIN_ID.test(offered) ? offered : randomUUID();
    c.set('requestId', id);

    await next();

    // Set on the response's own headers: c.header() on a finished response would rebuild it as
    // a full web Response, and the Node server then streams its body the slow way.
    if (c.get('requestIdInResponse') !== true) c.res.headers.set('x-request-id', id);
  };
}

/** The response headers of a handler that names the request itself, marking it done. */
export function requestIdHeader<E extends RequestIdEnv>(c: Context<E>): { 'x-request-id': string } {
  c.set('requestIdInResponse', true);
  return { 'x-request-id': c.get('requestId') };
}
