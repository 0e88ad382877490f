/**
 * Concurrent answers against the same answers one by one, on one lane of eight sequences and
 * the default (several-thread) native pool: the layout where llama.cpp's batch split most often
 * writes a step's outputs out of order, so a sample reading another sequence's logits shows up
 * as an answer that differs. Before samples of such steps waited for the first one, 2 to 10 of
 * these 36 requests differed in each round.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { invoke, invokeOneByOne, startTestEngine, textsOf } from '../helpers/engine.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';

const PROMPTS = ['Spring tea shop headline:', 'Cold brew oolong, no sugar.',
  'Jasmine soda for summer', '山茶冷泡乌龙，0糖', 'A slogan for running shoes:',
  'Headphones for the commute —'];

/** Greedy and seeded two-candidate requests over prompts of different lengths. */
const REQUESTS = [0, 1, 2].flatMap((round) => PROMPTS.flatMap((prompt) => [
  { prompt: `${prompt} ${round}`, max_new_tokens: 64, temperature: 0 },
  { prompt: `${prompt} ${round}`, max_new_tokens: 64, temperature: 0.9, top_k: 40, seed: 7,
    n: 2 },
]));

describe('Engine on one lane of eight sequences, default pool', () => {
  let engine: Awaited<ReturnType<typeof startTestEngine>>;

  beforeAll(async () => {
    engine = await startTestEngine(SHARED_TINY_MODEL, { slots: 8, lanes: 1, threads: 1,
      contextSize: 256 });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('gives every answer of 36 requests at once the text it has alone, twice over', async () => {
    // GIVEN each request's answer when it runs alone
    const alone = (await invokeOneByOne(engine.url, REQUESTS))
      .map((answer) => textsOf(answer.body));

    // WHEN all of them run at once, in two rounds
    const rounds = [];
    for (let round = 0; round < 2; round++) {
      const together = await Promise.all(REQUESTS.map((request) => invoke(engine.url, request)));
      rounds.push(together.map((answer) => textsOf(answer.body)));
    }

    // THEN no answer differs from its answer alone
    expect(alone.every((texts) => texts.length)).toBe(true);
    for (const together of rounds) expect(together).toEqual(alone);
  }, 120_000);
});
