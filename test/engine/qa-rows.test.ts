/**
 * QA of two engine changes on the shared tiny model: decode-only steps sampling side by side
 * (`LlamaBackend.firstReadMovesRows`) and streamed tokens sharing writes (ENGINE_STREAM_FLUSH_MS).
 * The traffic mixes what forms every kind of step the scheduler builds: prompts sharing a prefix
 * (a one-token feed after prefix reuse), a prompt longer than the 512-token batch (read in
 * chunks), json_schema, bad_words, seeded n=3, requests arriving in bursts and streams cancelled
 * mid-way. With every step's samples side by side (the predicate forced to "rows stay"), 10 or 11
 * of 64 such answers differed in QA's script, and the burst test below failed in 4 of 6 runs: the
 * race shows often, not always, so it guards against a regression without proving its absence.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LlamaBackend } from '../../engine/backends/llama/backend.js';
import {
  invoke,
  invokeOneByOne,
  invokeStream,
  MemoryLogger,
  startTestEngine,
  textsOf,
} from '../helpers/engine.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const LONG = 'Fresh jasmine tea, hand picked at dawn, brewed cold overnight. '.repeat(40);
const PROMPTS = ['Spring tea shop headline:', 'Spring tea shop headline: for May',
  '山茶冷泡乌龙，0糖', 'x', LONG, `${LONG} Headline:`];
const SCHEMA = { type: 'object', properties: { headline: { type: 'string' } },
  required: ['headline'] };

/** Greedy, seeded three-candidate, schema-bound and banned-word requests over every prompt. */
const REQUESTS = PROMPTS.flatMap((prompt, i) => [
  { prompt, max_new_tokens: 32, temperature: 0 },
  { prompt, max_new_tokens: 32, temperature: 0.9, top_k: 40, seed: 7 + i, n: 3 },
  { prompt, max_new_tokens: 24, temperature: 0, json_schema: SCHEMA },
  { prompt, max_new_tokens: 24, temperature: 0.7, seed: 3, bad_words: ['the', 'ing', 'a'] },
]);

/** A streamed request the client walks away from after its first write plus `afterMs`. */
async function cancelledStream(url: string, afterMs: number): Promise<void> {
  const abort = new AbortController();
  const response = await fetch(`${url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'Cancel me', max_new_tokens: 300, ignore_eos: true,
      stream: true }),
    signal: abort.signal,
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  await reader.read();
  setTimeout(() => abort.abort(), afterMs);
  await (async () => {
    for (;;) if ((await reader.read()).done) return;
  })().catch(() => undefined);
}

/** The engine's busy-slot gauge. */
async function busySlots(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^adcopy_engine_busy_slots (\S+)$/m.exec(text)?.[1]);
}

describe('Class: LlamaBackend telling which steps of a second lane may move output rows', () => {
  it('reads sequences as slot / lanes; a one-token entry without logits keeps rows', async () => {
    // GIVEN two lanes of four slots (lane 1 holds slots 1, 3, 5, 7 as sequences 0 to 3)
    const backend = await LlamaBackend.load({ modelPath: SHARED_TINY_MODEL, slots: 8,
      contextSize: 128, threads: 1, lanes: 2, logger: new MemoryLogger() });
    await backend.close();
    const entry = (slot: number, wantLogits = true) =>
      ({ slot, position: 10, tokens: [5], wantLogits });

    // WHEN it is asked about steps the scheduler forms on lane 1
    const answers = {
      rising: backend.firstReadMovesRows([entry(1), entry(3, false), entry(7)]),
      // a candidate reading the last token of its prompt sorts after the generating ones
      promptAfterGenerating: backend.firstReadMovesRows([entry(5), entry(3)]),
    };

    // THEN sequence order decides, not slot numbers or which entries want logits
    expect(answers).toEqual({ rising: false, promptAfterGenerating: true });
  });
});

describe.each([1, 2])('Engine on %i lane(s) of eight slots, default pool, mixed load', (lanes) => {
  let engine: Awaited<ReturnType<typeof startTestEngine>>;

  beforeAll(async () => {
    engine = await startTestEngine(SHARED_TINY_MODEL, { slots: 8, lanes, threads: 1,
      contextSize: 1024 });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('answers in bursts and beside cancelled streams as it answers alone', async () => {
    // GIVEN each request's answer when it runs alone
    const alone = (await invokeOneByOne(engine.url, REQUESTS))
      .map((answer) => textsOf(answer.body));

    // WHEN all run again in bursts 4 ms apart, beside three streams cancelled mid-way, twice
    const rounds = [];
    for (let round = 0; round < 2; round++) {
      const cancelled = [5, 20, 40].map((afterMs) => cancelledStream(engine.url, afterMs));
      rounds.push(await Promise.all(REQUESTS.map(async (request, i) => {
        await sleep((i % 4) * 4);
        return textsOf((await invoke(engine.url, request)).body);
      })));
      await Promise.all(cancelled);
    }

    // THEN every answer is its answer alone, and the cancelled streams' slots are free again
    expect(alone.every((texts) => texts.length)).toBe(true);
    for (const together of rounds) expect(together).toEqual(alone);
    await sleep(100);
    expect(await busySlots(engine.url)).toBe(0);
  }, 60_000);

  it('streams each of n=3 candidates whole, in order, with done last, many at once', async () => {
    // GIVEN the seeded three-candidate requests' answers in one body
    const requests = REQUESTS.filter((request) => request.n === 3);
    const bodies = await Promise.all(requests.map((request) => invoke(engine.url, request)));

    // WHEN they stream at once
    const streams = await Promise.all(requests.map((request) => invokeStream(engine.url,
      request)));

    // THEN each candidate's token events spell its text, and one done event closes each stream
    streams.forEach((events, i) => {
      expect(events.filter((event) => event.event === 'done')).toHaveLength(1);
      expect(events.at(-1)?.event).toBe('done');
      const streamed = [0, 1, 2].map((index) => events
        .filter((event) => event.event === 'token' && event.data.index === index)
        .map((event) => event.data.text as string).join(''));
      expect(streamed).toEqual(textsOf(bodies[i]?.body));
    });
  }, 60_000);
});
