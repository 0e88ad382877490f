import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { invoke, invokeStream, MemoryLogger, startTestEngine } from '../helpers/engine.js';
import { startEngine } from '../../engine/index.js';
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

describe('Engine: while the model loads', () => {
  it('answers /ping and generation requests with 503 loading, then 200', async () => {
    // GIVEN an engine that is listening but still loading its model
    let listening!: (url: string) => void;
    const urlKnown = new Promise<string>((resolve) => (listening = resolve));
    const starting = startEngine({ modelPath: SHARED_TINY_MODEL, port: 0, slots: 2,
      contextSize: 256, emfIntervalMs: 0, logger: new MemoryLogger(), onListening: listening });
    const url = await urlKnown;

    // WHEN it is pinged and asked to generate before the load ends
    const ping = await fetch(`${url}/ping`);
    const early = await invoke(url, { prompt: 'Tea', max_new_tokens: 2 });
    const engine = await starting;
    const after = await fetch(`${url}/ping`);
    await engine.close();

    // THEN both early answers are 503 loading, and the ping turns 200 once loaded
    expect(ping.status).toBe(503);
    expect(await ping.json()).toMatchObject({ error_type: 'loading' });
    expect(early.status).toBe(503);
    expect(early.body).toMatchObject({ error_type: 'loading' });
    expect(after.status).toBe(200);
  });
});
