/**
 * `npm run api-key -- <id>`: makes a new API key for the caller `<id>`. Prints the key once (it is
 * stored nowhere) and the `id:sha256` entry that the API keeps instead: append it, comma-separated,
 * to `API_KEYS` or to the Secrets Manager secret named by `API_KEYS_SECRET_ARN`.
 *
 * The caller id is what the logs, the rate limiter and A/B assignment see; the key never appears.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';

import { OPEN_CALLER } from '../functions/api/middleware/api-key.js';

/** Ids stay short and free of the list's own separators (`,` between entries, `:` before the hash). */
const CALLER_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** 32 random bytes: a key that cannot be guessed, in URL-safe characters with a recognisable prefix. */
function newKey(): string {
  return `adk_${randomBytes(32).toString('base64url')}`;
}

/** The stored form: the caller id and the SHA-256 of the key in hex, as the API parses it. */
function storedEntry(id: string, key: string): string {
  return `${id}:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

function main(args: string[]): number {
  const id = args[0];
  if (id === OPEN_CALLER) {
    process.stderr.write(`"${OPEN_CALLER}" is the caller of an open API; choose another id\n`);
    return 2;
  }
  if (!id || args.length > 1 || !CALLER_ID.test(id)) {
    process.stderr.write(
      'usage: npm run api-key -- <caller-id>   (1 to 64 of A-Z a-z 0-9 . _ -)\n',
    );
    return 2;
  }

  const key = newKey();
  process.stdout.write(
    [
      `API key for "${id}" (shown only now; hand it to the caller over a private channel):`,
      `  ${key}`,
      'Entry to append to API_KEYS or to the API keys secret (entries are comma-separated):',
      `  ${storedEntry(id, key)}`,
      '',
    ].join('\n'),
  );
  return 0;
}

process.exitCode = main(process.argv.slice(2));
