import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { invoke, invokeStream, startTestEngine } from '../helpers/engine.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';

describe('Engine: smoke on the shared tiny model', () => {
  let engine: Awaited<ReturnType<typeof startTestEngine>>;

  beforeAll(async () => {
    engine = await startTestEngine(SHARED_TINY_MODEL);
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('answers /ping with 200 once loaded', async () => {
    const response = await fetch(`${engine.url}/ping`);
    expect(response.status).toBe(200);
  });

  it('generates greedily, and the stream joins to the same text', async () => {
    const request = { prompt: 'Cold brew oolong tea for', max_new_tokens: 12, temperature: 0 };
    const whole = await invoke(engine.url, request);
    expect(whole.status).toBe(200);
    expect(whole.body.generations[0].completion_tokens).toBeGreaterThan(0);

    const events = await invokeStream(engine.url, request);
    const streamed = events.filter((e) => e.event === 'token').map((e) => e.data.text).join('');
    const done = events.at(-1);
    expect(done?.event).toBe('done');
    expect(streamed).toBe(whole.body.generations[0].text);
    expect(done?.data.generations[0].text).toBe(whole.body.generations[0].text);
  });
});
