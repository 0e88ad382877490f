/**
 * Reads a JSON request body with the checks every JSON route needs: the content type (415),
 * the size (413, enforced while reading, so a huge body is never buffered whole) and the
 * syntax (400).
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

import { ProblemError } from '../problems.js';

/** Options of {@link jsonBody}. */
export interface JsonBodyOptions {
  /** Largest accepted body in bytes. @default 65536 */
  maxBytes?: number;
}

/**
 * Parses the JSON body into `c.get('body')`.
 *
 * @example
 * app.post('/v1/copies', jsonBody({ maxBytes: 64 * 1024 }), (c) => c.json(c.get('body')));
 */
export function jsonBody({ maxBytes = 64 * 1024 }: JsonBodyOptions = {}): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ProblemError('body_too_large', `the body is larger than ${maxBytes} bytes`);
    },
  });

  return async function jsonBody(c, next) {
    assertJsonContentType(c.req.header('content-type'));

    await limit(c, async () => {
      const text = await c.req.text();
      if (text.trim() === '') throw new ProblemError('invalid_json', 'the body is empty');
      c.set('body', parseJson(text));
    });
    await next();
  };
}

function assertJsonContentType(header: string | undefined): void {
  if (!header) throw new ProblemError('unsupported_media_type', 'send Content-Type: application/json');

  const [mediaType = '', ...params] = header.split(';').map((part) => part.trim().toLowerCase());
  const isJson = mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
  if (!isJson) {
    throw new ProblemError('unsupported_media_type', `expected application/json, got ${mediaType}`);
  }

  // JSON is UTF-8 (RFC 8259); a charset parameter is accepted only when it says so.
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length);
  if (charset && !['utf-8', 'utf8', '"utf-8"'].includes(charset)) {
    throw new ProblemError('unsupported_media_type', `JSON must be UTF-8, got charset ${charset}`);
  }
}

function parseJson(text: string): unknown {
  try {
    // A leading byte-order mark is legal to send but not JSON; drop it.
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'syntax error';
    throw new ProblemError('invalid_json', `the body is not valid JSON: ${reason}`);
  }
}
