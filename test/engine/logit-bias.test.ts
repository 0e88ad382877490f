/**
 * `logit_bias` on the real engine, with the shared tiny model's byte tokens: in a LLaMA-2
 * vocabulary token 3 + b is the single byte b, so token 68 writes "A" and token 69 writes "B".
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { invoke, startTestEngine } from '../helpers/engine.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';

const A = 3 + 0x41;
const B = 3 + 0x42;

describe('Engine logit_bias on the shared tiny model', () => {
  let engine: Awaited<ReturnType<typeof startTestEngine>>;

  beforeAll(async () => {
    engine = await startTestEngine(SHARED_TINY_MODEL, { slots: 1, lanes: 1 });
  });
  afterAll(async () => {
    await engine?.close();
  });

  const greedy = (logitBias: Record<number, number>, extra: object = {}) =>
    invoke(engine.url, { prompt: 'Spring tea shop headline:', max_new_tokens: 8,
      temperature: 0, ignore_eos: true, logit_bias: logitBias, ...extra });

  it('writes a token biased by +100 every time, and never one biased by -100', async () => {
    const boosted = await greedy({ [A]: 100 });
    const swapped = await greedy({ [A]: -100, [B]: 100 });

    expect(boosted.body.generations[0].text).toBe('AAAAAAAA');
    expect(swapped.body.generations[0].text).toBe('BBBBBBBB');
  });

  it('keeps a bad word banned even when the request boosts it', async () => {
    const answer = await greedy({ [A]: 100, [B]: 50 }, { bad_words: ['A'] });

    expect(answer.body.generations[0].text).toBe('BBBBBBBB');
  });

  it('answers 400 naming a token outside the vocabulary', async () => {
    const answer = await greedy({ 40000: 1 });

    expect(answer.status).toBe(400);
    expect(answer.body.error)
      .toBe('logit_bias: token 40000 is not in the vocabulary of 32000 tokens');
  });
});
