/**
 * Speculative decoding by prompt lookup: the draft proposer, the scheduler's check of drafts on
 * the fake backend (kept, partly kept, rejected; stops, budgets, context end), and the real
 * engine, whose answers must be the same with and without drafts.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { lookupDraft } from '../../engine/scheduler/prompt-lookup.js';
import { DRAFT_MAX_STREAMS, Scheduler } from '../../engine/scheduler/scheduler.js';
import type { GenerationRequest } from '../../engine/scheduler/scheduler.js';
import { invoke, MemoryLogger, startTestEngine } from '../helpers/engine.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';
import { FakeBackend, tokensOf } from './fake-backend.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';

const SCHEMA = { type: 'object', properties: {
  headline: { type: 'string', enum: ['Spring tea, cold brewed', 'Oolong without sugar'] },
  call_to_action: { type: 'string', enum: ['Order now', 'Find a shop'] },
}, required: ['headline', 'call_to_action'] };

describe('lookupDraft', () => {
  it('proposes what followed the latest earlier occurrence of the last three tokens', () => {
    expect(lookupDraft([5, 6, 7, 8, 9], [5, 6, 7], 2)).toEqual([8, 9]);
    expect(lookupDraft([1, 2, 3, 4, 1, 2, 3, 5], [9, 1, 2, 3], 4)).toEqual([5, 9, 1, 2]);
  });

  it('falls back to the last two tokens, and proposes nothing without a match', () => {
    expect(lookupDraft([1, 2, 3, 4], [8, 2, 3], 3)).toEqual([4, 8, 2]);
    expect(lookupDraft([1, 2, 3, 4], [7, 8, 9], 3)).toEqual([]);
    expect(lookupDraft([1, 2, 3, 4], [1, 2, 3], 0)).toEqual([]);
  });
});

/** Greedy texts, finish reasons and token counts of `requests` run one by one. */
async function runOneByOne(backend: FakeBackend, draftTokens: number,
  requests: GenerationRequest[]) {
  const scheduler = new Scheduler(backend, { queueLimit: 8, logger: new MemoryLogger(),
    draftTokens });
  const results = [];
  for (const request of requests) results.push((await scheduler.submit(request)).generations);
  await scheduler.close();
  return results;
}

function request(prompt: string, maxNewTokens: number,
  extra: Partial<GenerationRequest> = {}): GenerationRequest {
  return { promptTokens: tokensOf(prompt), maxNewTokens, n: 1, sampling: { temperature: 0 },
    stop: [], ...extra };
}

describe('Class: Scheduler with prompt-lookup drafts', () => {
  const requests = [
    // The alphabet then "abc": every draft is what the model writes next
    request(`${ALPHABET}abc`, 20),
    // "abc" later drafts "qrs", which the model does not write: drafts partly kept, then not
    request('abcqrsxyz', 12),
    // A stop string inside a kept draft, and a budget smaller than a draft
    request(`${ALPHABET}abc`, 20, { stop: ['hij'] }),
    request(`${ALPHABET}abc`, 3),
    // A scripted sampler (like a grammar) moves on with every row it samples
    request(`${ALPHABET}abc`, 6, { grammar: [4, 5, 6, 9, 10, 11] }),
  ];

  it('writes exactly what decoding without drafts writes, in fewer steps', async () => {
    const plain = new FakeBackend(1);
    const drafted = new FakeBackend(1);

    const withoutDrafts = await runOneByOne(plain, 0, requests);
    const withDrafts = await runOneByOne(drafted, 4, requests);

    expect(withDrafts).toEqual(withoutDrafts);
    expect(withoutDrafts[0]?.[0]?.text).toBe('defghijklmnopqrstuvw');
    expect(withoutDrafts[2]?.[0]).toMatchObject({ text: 'defg', finishReason: 'stop' });
    expect(drafted.steps.length).toBeLessThan(plain.steps.length);
    expect(drafted.steps.some((entries) => (entries[0]?.logitRows ?? 1) === 5)).toBe(true);
  });

  it('erases the cells of rejected drafts and reuses the rest as a prefix', async () => {
    const backend = new FakeBackend(1);

    const [partly, again] = await runOneByOne(backend, 4,
      [request('abcqrsxyz', 12), request('abcqrsxyz', 12)]);

    // "ab" drafts "cqrs": "c" is kept, "qrs" erased; the repeat reuses the slot's cells
    expect(partly).toEqual(again);
    expect(backend.erased.length).toBeGreaterThan(0);
    const rejected = backend.steps.flat().find((entry) => entry.tokens.join() ===
      tokensOf('bcqrs').join());
    expect(rejected).toBeDefined();
    expect(backend.erased).toContainEqual({ slot: 0, from: (rejected?.position ?? 0) + 2 });
  });

  it('ends at the context edge on the same token as without drafts', async () => {
    const prompt = [request(`${ALPHABET}abc`, 100)];

    const withoutDrafts = await runOneByOne(new FakeBackend(1, { contextSize: 48 }), 0, prompt);
    const withDrafts = await runOneByOne(new FakeBackend(1, { contextSize: 48 }), 4, prompt);

    expect(withDrafts).toEqual(withoutDrafts);
    expect(withoutDrafts[0]?.[0]).toMatchObject({ finishReason: 'length', completionTokens: 19 });
  });

  it(`drafts only while a lane generates for at most ${DRAFT_MAX_STREAMS} candidates`, async () => {
    const backend = new FakeBackend(4);
    const scheduler = new Scheduler(backend, { queueLimit: 8, logger: new MemoryLogger(),
      draftTokens: 4 });

    await Promise.all([0, 1, 2, 3].map(() => scheduler.submit(request(`${ALPHABET}abc`, 10))));
    await scheduler.close();

    // Steps where all four generate carry no draft; no step carries more than two
    const allGenerating = backend.steps.filter((entries) => entries.length === 4 &&
      entries.every((entry) => entry.tokens.length === 1));
    expect(allGenerating.length).toBeGreaterThan(0);
    expect(allGenerating.flat().every((entry) => entry.logitRows === undefined)).toBe(true);
    const drafted = backend.steps.map((entries) =>
      entries.filter((entry) => (entry.logitRows ?? 1) > 1).length);
    expect(Math.max(...drafted)).toBeLessThanOrEqual(DRAFT_MAX_STREAMS);
  });
});

describe('Engine with and without drafts on the shared tiny model', () => {
  let drafting: Awaited<ReturnType<typeof startTestEngine>>;
  let plain: Awaited<ReturnType<typeof startTestEngine>>;

  beforeAll(async () => {
    [drafting, plain] = await Promise.all([
      startTestEngine(SHARED_TINY_MODEL, { slots: 2, lanes: 1, draftTokens: 4 }),
      startTestEngine(SHARED_TINY_MODEL, { slots: 2, lanes: 1, draftTokens: 0 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([drafting?.close(), plain?.close()]);
  });

  const bodies = [
    { prompt: 'Spring tea shop headline:', max_new_tokens: 120, temperature: 0 },
    { prompt: '山茶冷泡乌龙，0糖', max_new_tokens: 120, temperature: 0, stop: ['status'] },
    { prompt: 'Cold brew oolong', max_new_tokens: 100, temperature: 0.9, top_k: 40, seed: 7,
      n: 2 },
    { prompt: 'Jasmine soda', max_new_tokens: 100, temperature: 0, repetition_penalty: 1.2 },
    { prompt: 'Spring tea shop headline:', max_new_tokens: 120, temperature: 0,
      bad_words: ['successo', 'Wales'] },
    // A grammar: the prompt spells the JSON the grammar allows, so drafts can be kept in it
    { prompt: '{"headline": "Oolong without sugar", "call_to_action": "Find a shop"} again:',
      max_new_tokens: 80, temperature: 0.7, seed: 3, json_schema: SCHEMA },
  ];

  it('gives the same answers, and keeps some drafts', async () => {
    for (const body of bodies) {
      const [withDrafts, withoutDrafts] = await Promise.all([invoke(drafting.url, body),
        invoke(plain.url, body)]);

      expect(withDrafts.status).toBe(200);
      expect(withDrafts.body.generations).toEqual(withoutDrafts.body.generations);
    }

    const metrics = await (await fetch(`${drafting.url}/metrics`)).text();
    const accepted = Number(/^adcopy_engine_draft_tokens_accepted_total (\d+)/m.exec(metrics)?.[1]);
    expect(accepted).toBeGreaterThan(0);
  }, 60_000);
});
