/**
 * How a stream's events reach the socket: the first token at once, later tokens sharing writes
 * for up to ENGINE_STREAM_FLUSH_MS, the end at once. Read over node:http, whose `data` events
 * follow the server's writes closely enough to count them from a generous flush interval.
 */

import { request } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { invoke, parseSse, startTestEngine } from '../helpers/engine.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';

/** The body of a streamed answer as the chunks arrived, each with when it arrived. */
function streamChunks(url: string, body: object): Promise<Array<{ at: number; text: string }>> {
  return new Promise((resolve, reject) => {
    const chunks: Array<{ at: number; text: string }> = [];
    const started = performance.now();
    const req = request(`${url}/invocations`, { method: 'POST',
      headers: { 'content-type': 'application/json' } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (text: string) => chunks.push({ at: performance.now() - started, text }));
      res.on('end', () => resolve(chunks));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ ...body, stream: true }));
  });
}

const tokenEvents = (text: string) => parseSse(text).filter((event) => event.event === 'token');

describe('Engine streaming with a 250 ms flush interval', () => {
  let engine: Awaited<ReturnType<typeof startTestEngine>>;
  const body = { prompt: 'Spring tea shop headline:', max_new_tokens: 600, ignore_eos: true,
    temperature: 0 };

  beforeAll(async () => {
    engine = await startTestEngine(SHARED_TINY_MODEL, { slots: 2, lanes: 1, contextSize: 1024,
      streamFlushMs: 250 });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('writes the first token alone and at once, then many tokens to a write', async () => {
    // WHEN a 600-token generation streams
    const chunks = await streamChunks(engine.url, body);
    const all = chunks.map((chunk) => chunk.text).join('');

    // THEN the first write holds one token event, and the writes are far fewer than the tokens
    expect(tokenEvents((chunks[0] as { text: string }).text)).toHaveLength(1);
    expect(tokenEvents(all).length).toBeGreaterThan(100);
    expect(chunks.length).toBeLessThan(tokenEvents(all).length / 10);
    expect(parseSse(all).at(-1)?.event).toBe('done');
  });

  it('loses nothing: the streamed text is the whole answer', async () => {
    const [chunks, whole] = await Promise.all([streamChunks(engine.url, body),
      invoke(engine.url, body)]);

    const streamed = tokenEvents(chunks.map((chunk) => chunk.text).join(''))
      .map((event) => (event.data as { text: string }).text).join('');

    expect(streamed).toBe(whole.body.generations[0].text);
  });
});
