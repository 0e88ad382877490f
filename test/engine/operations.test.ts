import {
  InvokeEndpointCommand,
  InvokeEndpointWithResponseStreamCommand,
  SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { invoke, parseSse, startTestEngine } from '../helpers/engine.js';
import { devModelPath, SHARED_TINY_MODEL } from '../helpers/models.js';

const MODELS = [
  { name: 'shared tiny LLaMA-2', path: async () => SHARED_TINY_MODEL },
  { name: 'dev model', path: devModelPath },
];

/** A request that runs until cancelled (a second or so at most). */
const LONG = { prompt: 'Tea', max_new_tokens: 4000, temperature: 0, ignore_eos: true };

const JSON_TYPE = { 'content-type': 'application/json' };

/** Starts a streamed request and resolves once its first event arrived (it holds a slot). */
async function startStreamed(url: string, body: object, signal: AbortSignal) {
  const response = await fetch(`${url}/invocations`, { method: 'POST', headers: JSON_TYPE,
    body: JSON.stringify({ ...body, stream: true }), signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  await reader.read();
  return reader;
}

/** Waits until the engine has reaped every cancelled request (queue empty, no busy slot). */
async function waitIdle(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const text = await (await fetch(`${url}/metrics`)).text();
    if (/^adcopy_engine_queue_depth 0$/m.test(text) && /^adcopy_engine_busy_slots 0$/m.test(text)) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the engine never became idle');
}

function sagemakerClient(url: string): SageMakerRuntimeClient {
  // Only the endpoint is overridden; the credentials are dummies the local engine never checks.
  return new SageMakerRuntimeClient({ endpoint: url, region: 'us-east-1', maxAttempts: 1,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

describe.each(MODELS)('Engine operations on the $name', ({ path }) => {
  let engine: Awaited<ReturnType<typeof startTestEngine>>;

  beforeAll(async () => {
    engine = await startTestEngine(await path(), { slots: 1, queueLimit: 1, contextSize: 4096,
      maxNewTokens: 4000 });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('round-trips InvokeEndpoint through the real SageMaker Runtime client', async () => {
    const client = sagemakerClient(engine.url);
    const request = { prompt: 'Cold brew', max_new_tokens: 8, temperature: 0 };

    const output = await client.send(new InvokeEndpointCommand({ EndpointName: 'adcopy',
      ContentType: 'application/json', Body: JSON.stringify(request) }));

    const body = JSON.parse(new TextDecoder().decode(output.Body));
    const direct = await invoke(engine.url, request);
    expect(output.ContentType).toMatch(/application\/json/);
    expect(body.generations[0].text).toBe(direct.body.generations[0].text);
  });

  it('round-trips InvokeEndpointWithResponseStream in event-stream framing', async () => {
    const client = sagemakerClient(engine.url);
    const request = { prompt: 'Cold brew', max_new_tokens: 12, temperature: 0 };

    const output = await client.send(new InvokeEndpointWithResponseStreamCommand({
      EndpointName: 'adcopy', ContentType: 'application/json',
      Body: JSON.stringify({ ...request, stream: true }) }));
    const decoder = new TextDecoder();
    let text = '';
    for await (const event of output.Body ?? []) {
      if (event.PayloadPart?.Bytes) text += decoder.decode(event.PayloadPart.Bytes);
    }

    const events = parseSse(text);
    const direct = await invoke(engine.url, request);
    expect(output.ContentType).toBe('text/event-stream');
    expect(events.at(-1)?.event).toBe('done');
    const streamed = events.filter((e) => e.event === 'token').map((e) => e.data.text).join('');
    expect(streamed).toBe(direct.body.generations[0].text);
  });

  it('frees the slot of a streamed request the client aborts, for the next one (case 20)',
    async () => {
      // GIVEN a streamed request holding the only slot
      const abort = new AbortController();
      await startStreamed(engine.url, LONG, abort.signal);

      // WHEN the client goes away after the first event
      abort.abort();
      const next = await invoke(engine.url, { prompt: 'Next', max_new_tokens: 4 });

      // THEN the next request is served at once and the first counts as cancelled
      expect(next.status).toBe(200);
      expect(next.body.timings.queue_ms).toBeLessThan(1000);
      const metrics = await (await fetch(`${engine.url}/metrics`)).text();
      expect(metrics).toMatch(
        /adcopy_engine_candidates_finished_total\{finish_reason="cancelled"\} 1/);
    });

  it('returns 429 with Retry-After when the queue is full', async () => {
    // GIVEN one request running and one waiting (one slot, queue of one)
    const abort = new AbortController();
    await startStreamed(engine.url, LONG, abort.signal);
    const waiting = fetch(`${engine.url}/invocations`, { method: 'POST', headers: JSON_TYPE,
      body: JSON.stringify(LONG), signal: abort.signal }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));

    // WHEN a third arrives
    const refused = await invoke(engine.url, { prompt: 'Third', max_new_tokens: 2 });
    abort.abort();
    await waiting;
    await waitIdle(engine.url);

    // THEN it is refused with a retry hint
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error_type: 'queue_full' });
    expect(refused.headers.get('retry-after')).toBe('1');
  });

  it('serves Prometheus text with queue, slots, latency, throughput and prefix figures',
    async () => {
      const text = await (await fetch(`${engine.url}/metrics`)).text();

      for (const name of ['adcopy_engine_queue_depth', 'adcopy_engine_busy_slots',
        'adcopy_engine_time_to_first_token_seconds_bucket',
        'adcopy_engine_inter_token_latency_seconds_bucket', 'adcopy_engine_tokens_per_second',
        'adcopy_engine_prefix_cache_hit_ratio']) {
        expect(text).toContain(name);
      }
    });

  it('turns /ping 503 while draining, refuses new work and finishes running requests',
    async () => {
      // GIVEN a streamed request running
      const reader = await startStreamed(engine.url, LONG, new AbortController().signal);

      // WHEN the engine drains (as on SIGTERM)
      const drained = engine.drain(10_000);
      const ping = await fetch(`${engine.url}/ping`);
      const refused = await invoke(engine.url, { prompt: 'Late', max_new_tokens: 2 });

      // THEN health is 503, new work is refused, and the running request completes
      expect(ping.status).toBe(503);
      expect(await ping.json()).toMatchObject({ error_type: 'draining' });
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ error_type: 'draining' });
      const decoder = new TextDecoder();
      let rest = '';
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        rest += decoder.decode(chunk.value, { stream: true });
      }
      const done = parseSse(rest.slice(rest.indexOf('event: done'))).at(-1);
      expect(done?.data.generations[0]).toMatchObject({ finish_reason: 'length',
        completion_tokens: LONG.max_new_tokens });
      await drained;
    });
});
