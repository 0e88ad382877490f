import { describe, expect, it } from 'vitest';

import { BadWordsGuard, VocabularyIndex } from '../../engine/scheduler/bad-words.js';
import {
  DrainingError,
  GenerationFailedError,
  QueueFullError,
  Scheduler,
} from '../../engine/scheduler/scheduler.js';
import type { GenerationRequest } from '../../engine/scheduler/scheduler.js';
import type { DecodeEntry } from '../../engine/scheduler/types.js';
import { MemoryLogger } from '../helpers/engine.js';
import { END, FakeBackend, tokensOf } from './fake-backend.js';

function request(prompt: string, maxNewTokens: number,
  extra: Partial<GenerationRequest> = {}): GenerationRequest {
  return { promptTokens: tokensOf(prompt), maxNewTokens, n: 1, sampling: { temperature: 0 },
    stop: [], ...extra };
}

function setup(slots: number, queueLimit = 8) {
  const backend = new FakeBackend(slots);
  const scheduler = new Scheduler(backend, { queueLimit, logger: new MemoryLogger() });
  return { backend, scheduler };
}

/** The greedy texts of `prompts`, all submitted at once to a new scheduler on `backend`. */
async function textsOn(backend: FakeBackend, prompts: string[], maxNewTokens: number) {
  const scheduler = new Scheduler(backend, { queueLimit: 8, logger: new MemoryLogger() });
  const results = await Promise.all(prompts.map((p) => scheduler.submit(request(p, maxNewTokens))));
  await scheduler.close();
  return results.map((result) => result.generations[0]?.text);
}

describe('Class: Scheduler', () => {
  describe('Method: submit', () => {
    it('generates from the last prompt token until max_new_tokens', async () => {
      const { scheduler } = setup(1);

      const result = await scheduler.submit(request('abc', 4));

      expect(result.generations).toEqual([
        { index: 0, text: 'defg', finishReason: 'length', completionTokens: 4 },
      ]);
      expect(result.promptTokens).toBe(3);
      await scheduler.close();
    });

    it('stops at an end-of-generation token with finish reason stop', async () => {
      const { scheduler } = setup(1);

      const result = await scheduler.submit(request('a', 5, { grammar: [2, 3, END] }));

      expect(result.generations[0]).toMatchObject({ text: 'bc', finishReason: 'stop' });
      await scheduler.close();
    });

    it('ends before a stop string that spans several tokens and never returns it', async () => {
      const { scheduler } = setup(1);
      const pieces: string[] = [];

      const result = await scheduler.submit(request('a', 10, {
        stop: ['def'], onText: (_, text) => pieces.push(text) }));

      expect(result.generations[0]).toMatchObject({ text: 'bc', finishReason: 'stop' });
      expect(pieces.join('')).toBe('bc');
      await scheduler.close();
    });

    it('lets a short request start and finish while a long one runs (in-flight batching)',
      async () => {
        const { backend, scheduler } = setup(2);
        backend.delayMs = 1;

        const long = scheduler.submit(request('a', 60));
        await new Promise((resolve) => setTimeout(resolve, 10));
        const short = await scheduler.submit(request('m', 3));
        const longDone = await long;

        expect(short.generations[0]?.text).toBe('nop');
        expect(longDone.generations[0]?.completionTokens).toBe(60);
        const sharedSteps = backend.steps.filter((entries) => entries.length === 2);
        expect(sharedSteps.length).toBeGreaterThanOrEqual(3);
        await scheduler.close();
      });

    it('serves the queue first come first served once slots free up', async () => {
      const { scheduler } = setup(1);
      const order: string[] = [];

      await Promise.all(['abc', 'def', 'ghi'].map((prompt) => scheduler
        .submit(request(prompt, 2)).then(() => order.push(prompt))));

      expect(order).toEqual(['abc', 'def', 'ghi']);
      await scheduler.close();
    });

    it('fails with QueueFullError when the bounded queue is full', async () => {
      const { backend, scheduler } = setup(1, 1);
      backend.delayMs = 5;

      const running = scheduler.submit(request('a', 20));
      await new Promise((resolve) => setTimeout(resolve, 1));
      const queued = scheduler.submit(request('b', 1));

      expect(() => scheduler.submit(request('c', 1))).toThrow(QueueFullError);
      await Promise.all([running, queued]);
      await scheduler.close();
    });

    it('reuses the longest cached prefix and evaluates only the rest', async () => {
      const { backend, scheduler } = setup(2);
      await scheduler.submit(request('abcdefgh', 1));
      await scheduler.submit(request('zzzz', 1));
      backend.steps.length = 0;

      const result = await scheduler.submit(request('abcdefxy', 2));

      expect(result.cachedPromptTokens).toBe(6);
      const firstStep = backend.steps[0]?.[0];
      expect(firstStep).toMatchObject({ position: 6, tokens: tokensOf('xy') });
      expect(backend.erased.at(-1)).toEqual({ slot: firstStep?.slot, from: 6 });
      await scheduler.close();
    });

    it('evaluates the last prompt token again when the whole prompt is cached', async () => {
      const { backend, scheduler } = setup(1);
      await scheduler.submit(request('abcd', 1));
      backend.steps.length = 0;

      const result = await scheduler.submit(request('abcd', 2));

      expect(result.cachedPromptTokens).toBe(3);
      expect(backend.steps[0]?.[0]).toMatchObject({ position: 3, tokens: tokensOf('d') });
      expect(result.generations[0]?.text).toBe('ef');
      await scheduler.close();
    });

    it('generates n candidates, each in its own slot', async () => {
      const { scheduler } = setup(3);

      const result = await scheduler.submit(request('a', 2, { n: 3 }));

      expect(result.generations.map((g) => g.index)).toEqual([0, 1, 2]);
      expect(result.generations.every((g) => g.text === 'bc')).toBe(true);
      await scheduler.close();
    });

    it('never lets a banned phrase through, whatever tokens would spell it', async () => {
      const { scheduler, backend } = setup(1);
      const vocabulary = new VocabularyIndex(backend.vocabularySize, (t) => backend.tokenBytes(t));
      const guard = new BadWordsGuard(vocabulary, ['cde']);

      const result = await scheduler.submit(request('a', 8, { badWords: guard }));

      expect(result.generations[0]?.text).not.toContain('cde');
      expect(result.generations[0]?.text).toBe('bcdfghij');
      await scheduler.close();
    });
  });

  describe('Method: cancellation', () => {
    it('frees the slot of an aborted request within one step for the next request', async () => {
      const { backend, scheduler } = setup(1);
      backend.delayMs = 2;
      const abort = new AbortController();

      const cancelled = scheduler.submit(request('a', 1000, { signal: abort.signal }));
      const next = scheduler.submit(request('k', 2));
      await new Promise((resolve) => setTimeout(resolve, 20));
      const stepsBefore = backend.steps.length;
      abort.abort();

      const [first, second] = await Promise.all([cancelled, next]);
      expect(first.generations[0]?.finishReason).toBe('cancelled');
      expect(second.generations[0]?.text).toBe('lm');
      const stepsOfCancelled = backend.steps.slice(stepsBefore)
        .filter((entries) => entries.some((entry) => entry.tokens[0] !== tokensOf('k')[0] &&
          entry.position > 1));
      expect(stepsOfCancelled.length).toBeLessThanOrEqual(1);
      await scheduler.close();
    });

    it('ends a request at its deadline with finish reason deadline', async () => {
      const { backend, scheduler } = setup(1);
      backend.delayMs = 2;

      const result = await scheduler.submit(request('a', 10_000, { deadlineMs: 30 }));

      expect(result.generations[0]?.finishReason).toBe('deadline');
      expect(result.generations[0]?.completionTokens).toBeGreaterThan(0);
      await scheduler.close();
    });

    it('fails every request in a failed decode step and keeps serving', async () => {
      const { backend, scheduler } = setup(2);
      backend.failAtStep = 2;

      await expect(scheduler.submit(request('a', 10))).rejects.toBeInstanceOf(
        GenerationFailedError);
      const after = await scheduler.submit(request('a', 2));

      expect(after.generations[0]?.text).toBe('bc');
      expect(after.cachedPromptTokens).toBe(0);
      await scheduler.close();
    });
  });

  describe('Method: drain', () => {
    it('refuses new requests but finishes running ones within the grace period', async () => {
      const { backend, scheduler } = setup(1);
      backend.delayMs = 1;

      const running = scheduler.submit(request('a', 5));
      const drained = scheduler.drain(5_000);

      expect(() => scheduler.submit(request('b', 1))).toThrow(DrainingError);
      expect((await running).generations[0]?.finishReason).toBe('length');
      await drained;
      await scheduler.close();
    });

    it('cancels what is still running when the grace period ends', async () => {
      const { backend, scheduler } = setup(1);
      backend.delayMs = 2;

      const running = scheduler.submit(request('a', 100_000));
      await scheduler.drain(30);

      expect((await running).generations[0]?.finishReason).toBe('cancelled');
      await scheduler.close();
    });
  });
});

describe('Class: Scheduler with two lanes', () => {
  it('steps both lanes at once and gives the same text as one lane', async () => {
    // GIVEN two backends, one with two lanes
    const one = new FakeBackend(4);
    const two = new FakeBackend(4, { lanes: 2 });
    two.delayMs = 2;
    const prompts = ['abc', 'klm', 'uvw', 'hij'];

    // WHEN the same requests run on each
    const texts = await Promise.all([one, two].map((b) => textsOn(b, prompts, 5)));

    // THEN the texts match and every step of the two-lane backend held one lane's slots only
    expect(texts[1]).toEqual(texts[0]);
    for (const entries of two.steps) {
      expect(new Set(entries.map((entry) => entry.slot % 2)).size).toBe(1);
    }
    expect(two.steps.filter((entries) => entries.length === 2).length).toBeGreaterThan(0);
  });
});

describe('Class: Scheduler sampling a step on a several-thread pool', () => {
  it("lets a step's first sample finish before the others start", async () => {
    // GIVEN a backend whose samples run side by side, like node-llama-cpp's on the default pool
    const backend = new FakeBackend(4);

    // WHEN four requests generate in the same steps
    const texts = await textsOn(backend, ['abc', 'klm', 'uvw', 'hij'], 6);

    // THEN no sample ran beside a step's first one (whose read orders llama.cpp's output rows)
    expect(texts).toEqual(['defghi', 'nopqrs', 'xyzabc', 'klmnop']);
    expect(backend.steps.some((entries) => entries.length === 4)).toBe(true);
    expect(backend.samplesBesideFirst).toBe(0);
  });

  it('samples side by side the steps whose rows the backend says stay put', async () => {
    // GIVEN a backend whose first read moves rows only in steps that read a prompt
    const readsPrompt = (entries: readonly DecodeEntry[]) =>
      entries.some((entry) => entry.tokens.length > 1);
    const backend = new FakeBackend(4, { rowsMove: readsPrompt });

    // WHEN four requests generate in the same steps
    const texts = await textsOn(backend, ['abc', 'klm', 'uvw', 'hij'], 6);

    // THEN the text is right, and samples overlapped only in steps that read no prompt
    expect(texts).toEqual(['defghi', 'nopqrs', 'xyzabc', 'klmnop']);
    const sideBySide = [...backend.stepsSampledSideBySide];
    expect(sideBySide.length).toBeGreaterThan(0);
    expect(sideBySide.filter((step) => readsPrompt(backend.steps[step] ?? []))).toEqual([]);
    expect(backend.steps.some(readsPrompt)).toBe(true);
  });
});

describe('Class: Scheduler on a one-thread backend', () => {
  it('asks for the samples while the decode runs and gives the same text', async () => {
    // GIVEN a backend whose samples queue behind its decodes, and a plain one
    const plain = new FakeBackend(4);
    const oneThread = new FakeBackend(4, { oneThread: true });
    oneThread.delayMs = 1;
    const prompts = ['abc', 'klm', 'uvw', 'hij', 'pq'];

    // WHEN the same requests run on each, more than there are slots
    const texts = await Promise.all([plain, oneThread].map((b) => textsOn(b, prompts, 6)));

    // THEN the texts match, and only the one-thread backend was asked early
    expect(texts[1]).toEqual(texts[0]);
    expect(texts[0]).toEqual(['defghi', 'nopqrs', 'xyzabc', 'klmnop', 'rstuvw']);
    expect(oneThread.samplesAskedDuringDecode).toBeGreaterThan(0);
    expect(plain.samplesAskedDuringDecode).toBe(0);
  });

  it('fails a step whose decode fails with the decode error and keeps serving', async () => {
    const backend = new FakeBackend(2, { oneThread: true });
    backend.failAtStep = 2;
    const scheduler = new Scheduler(backend, { queueLimit: 8, logger: new MemoryLogger() });

    const failed = scheduler.submit(request('a', 10));
    await expect(failed).rejects.toThrow('the device fell over');
    const after = await scheduler.submit(request('a', 2));

    expect(after.generations[0]?.text).toBe('bc');
    expect(after.cachedPromptTokens).toBe(0);
    await scheduler.close();
  });
});
