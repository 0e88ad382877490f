import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HEADPHONES_BRIEF, RUNNING_SHOE_BRIEF } from '../helpers/briefs.js';
import { startTestEngine } from '../helpers/engine.js';
import { devModelPath, SHARED_TINY_MODEL } from '../helpers/models.js';
import { apiOver, json, postJson } from './helpers.js';

const CHINESE_BRIEF = HEADPHONES_BRIEF;
const ENGLISH_BRIEF = RUNNING_SHOE_BRIEF;

describe.each([
  ['the shared tiny model', async () => SHARED_TINY_MODEL],
  ['the project dev model', devModelPath],
])('POST /v1/copies on %s', (_name, modelPath) => {
  let engine: Awaited<ReturnType<typeof startTestEngine>>;
  let api: ReturnType<typeof apiOver>;

  beforeAll(async () => {
    // The dev model's byte-level tokenizer spends several tokens per Chinese character.
    engine = await startTestEngine(await modelPath(), { contextSize: 2048 });
    api = apiOver(engine.url);
  });
  afterAll(async () => engine?.close());

  it.each([
    ['Chinese', CHINESE_BRIEF],
    ['English', ENGLISH_BRIEF],
  ])('returns variants with compliance verdicts for the %s brief', async (_language, brief) => {
    const response = await postJson(api.app, '/v1/copies', brief);
    const body = await json(response);

    expect(response.status).toBe(200);
    expect(body.variants.length).toBeGreaterThanOrEqual(1);
    for (const variant of body.variants) {
      expect(variant.text.length).toBeGreaterThan(0);
      expect(variant.compliance).toEqual({ passed: true, violations: expect.any(Array) });
      expect(variant.length.chars).toBe([...variant.text].length);
    }
    expect(body.model).toBe(engine.modelId);
    expect(body.cached).toBe(false);
    expect(response.headers.get('x-request-id')).toBe(body.requestId);
  });

  it('answers the same brief again from cache without an engine call', async () => {
    const brief = { ...CHINESE_BRIEF, output_style: '一句话' };
    const first = await json(await postJson(api.app, '/v1/copies', brief));
    const callsAfterFirst = api.engine.calls;

    const second = await json(await postJson(api.app, '/v1/copies', brief));

    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(api.engine.calls).toBe(callsAfterFirst);
    expect(second.variants).toEqual(first.variants);
  });
});
