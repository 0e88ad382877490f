/**
 * The pipeline's selection logic, driven by a scripted engine that answers preset texts: the one
 * way to make the model write exactly a duplicate, an unlawful claim or an over-long line on cue.
 * The real engine is exercised on this same pipeline in test/api.
 */
import { describe, expect, it } from 'vitest';

import { MemoryCacheStore, ReadThroughCache } from '../../layers/cache/index.js';
import { fits } from '../../layers/channels/index.js';
import {
  createCopyPipeline,
  parseBrief,
  StreamGuard,
  type Brief,
} from '../../layers/copy/index.js';
import type { Engine, EngineRequest, EngineResponse } from '../../layers/engine-client/index.js';

/** Answers each call with the next round of texts, and keeps the requests it was sent. */
class ScriptedEngine implements Engine {
  readonly name = 'scripted';
  readonly requests: EngineRequest[] = [];

  constructor(private readonly rounds: string[][]) {}

  async generate(request: EngineRequest): Promise<EngineResponse> {
    this.requests.push(request);
    const texts = this.rounds[this.requests.length - 1] ?? [];
    return {
      id: `gen_${this.requests.length}`,
      model: 'scripted',
      generations: texts.slice(0, request.n ?? 1).map((text, index) => ({
        index,
        text,
        finish_reason: 'stop',
        completion_tokens: [...text].length,
      })),
      usage: { prompt_tokens: 100, cached_prompt_tokens: 80, completion_tokens: 10 },
      timings: { queue_ms: 0, ttft_ms: 1, total_ms: 2 },
    };
  }

  // eslint-disable-next-line require-yield
  async *stream(): AsyncIterable<never> {
    throw new Error('not scripted');
  }
}

function brief(raw: object): Brief {
  const parsed = parseBrief(raw);
  if (!parsed.success) throw new Error(JSON.stringify(parsed.issues));
  return parsed.data;
}

function pipelineOver(engine: Engine) {
  return createCopyPipeline({
    engine,
    cache: new ReadThroughCache({ store: new MemoryCacheStore() }),
  });
}

// SMS has a single field, so candidates are plain text; structured channels are tested below.
const TEA = {
  brand: '山茶',
  product: '冷泡乌龙',
  features: ['0糖'],
  language: 'zh',
  variants: 2,
  channel: 'sms',
};

describe('Function: createCopyPipeline', () => {
  it('replaces a near-duplicate variant with a distinct one', async () => {
    const engine = new ScriptedEngine([
      ['0糖冷泡乌龙，一口清爽过夏天', '0糖冷泡乌龙，一口清爽过夏天！'],
      ['办公室午后，来一瓶冷泡乌龙'],
    ]);

    const answer = await pipelineOver(engine).generate(brief(TEA));

    expect(answer.variants.map((v) => v.text)).toEqual([
      '0糖冷泡乌龙，一口清爽过夏天',
      '办公室午后，来一瓶冷泡乌龙',
    ]);
    expect(answer.rejected).toEqual([
      { text: '0糖冷泡乌龙，一口清爽过夏天！', reasons: ['near_duplicate'] },
    ]);
    expect(engine.requests[1]?.n).toBe(1);
  });

  it('bans the violating terms in the decoder on the next attempt and never returns them', async () => {
    const engine = new ScriptedEngine([
      ['全国销量第一的冷泡乌龙', '冷萃12小时，清爽不腻'],
      ['一口下去，夏天都安静了'],
    ]);

    const answer = await pipelineOver(engine).generate(brief(TEA));

    expect(answer.variants.map((v) => v.text)).toEqual([
      '冷萃12小时，清爽不腻',
      '一口下去，夏天都安静了',
    ]);
    expect(answer.variants.every((v) => v.compliance.passed)).toBe(true);
    expect(answer.rejected[0]?.reasons).toEqual(['compliance']);
    expect(answer.rejected[0]?.violations?.map((v) => v.term).join()).toContain('第一');
    const retryBans = engine.requests[1]?.bad_words ?? [];
    expect(
      retryBans.some((word) => answer.rejected[0]!.violations!.some((v) => v.term === word)),
    ).toBe(true);
  });

  it("hands the language's blocking terms and the brand's banned terms to the decoder", async () => {
    const engine = new ScriptedEngine([['冷萃12小时，清爽不腻', '办公室午后的一瓶清爽']]);
    await pipelineOver(engine).generate(brief({ ...TEA, brandVoice: { bannedTerms: ['便宜'] } }));

    expect(engine.requests[0]?.bad_words).toEqual(expect.arrayContaining(['便宜', '国家级']));
  });

  it('regenerates over-long plain copy with a smaller budget, never cutting it', async () => {
    const long =
      'Lightweight carbon-plated trail shoe built for fast weekend miles on rocky ground';
    const engine = new ScriptedEngine([
      [long, 'Grip that holds on wet rock'],
      ['Fast trails, light feet'],
    ]);
    const shoe = {
      product: 'Aero trail shoe',
      language: 'en',
      channel: 'sms',
      length: 40,
      variants: 2,
    };

    const answer = await pipelineOver(engine).generate(brief(shoe));

    expect(answer.variants.map((v) => v.text)).toEqual([
      'Grip that holds on wet rock',
      'Fast trails, light feet',
    ]);
    expect(answer.rejected).toEqual([{ text: long, reasons: ['too_long'] }]);
    expect(engine.requests[1]!.max_new_tokens!).toBeLessThan(engine.requests[0]!.max_new_tokens!);
  });

  it('asks a structured channel for JSON within its limits and reads headline and body', async () => {
    const overLong = JSON.stringify({
      headline: 'Trail shoe with a carbon plate for rocky ground',
      body: 'x',
    });
    const engine = new ScriptedEngine([
      [
        JSON.stringify({
          headline: 'Fast trails, light feet',
          body: 'Carbon plate, grippy outsole.',
        }),
        overLong,
      ],
      [JSON.stringify({ headline: 'Grip on wet rock', body: 'Built for weekend trail runners.' })],
    ]);
    const shoe = {
      product: 'Aero trail shoe',
      language: 'en',
      channel: 'google_search',
      variants: 2,
    };

    const answer = await pipelineOver(engine).generate(brief(shoe));

    const schema = engine.requests[0]?.json_schema as {
      properties: Record<string, { maxLength: number }>;
    };
    expect(schema.properties.headline?.maxLength).toBe(30);
    expect(schema.properties.body?.maxLength).toBe(90);
    expect(answer.variants[0]).toMatchObject({
      headline: 'Fast trails, light feet',
      body: 'Carbon plate, grippy outsole.',
      text: 'Fast trails, light feet\nCarbon plate, grippy outsole.',
    });
    // The checker's channel-length rule blocks it too.
    expect(answer.rejected[0]?.reasons).toEqual(['compliance', 'too_long']);
    for (const variant of answer.variants) {
      expect(fits('google_search', { headline: variant.headline, body: variant.body }).fits).toBe(
        true,
      );
    }
  });

  it('applies field rules to each part: no exclamation mark in a search headline', async () => {
    const engine = new ScriptedEngine([
      [JSON.stringify({ headline: '冷泡乌龙上新！', body: '0糖，冷萃12小时' })],
      [JSON.stringify({ headline: '冷泡乌龙上新', body: '0糖，冷萃12小时！' })],
    ]);
    const answer = await pipelineOver(engine).generate(
      brief({ ...TEA, channel: 'google_search', variants: 1 }),
    );

    expect(answer.rejected[0]?.reasons).toEqual(['compliance']);
    expect(answer.variants[0]?.headline).toBe('冷泡乌龙上新');
  });

  it('halves width-counted limits for Chinese copy (a CJK character fills two units)', async () => {
    const engine = new ScriptedEngine([
      [JSON.stringify({ headline: '冷泡乌龙上新', body: '0糖，冷萃12小时' })],
    ]);
    await pipelineOver(engine).generate(brief({ ...TEA, channel: 'google_search', variants: 1 }));

    const schema = engine.requests[0]?.json_schema as {
      properties: Record<string, { maxLength: number }>;
    };
    expect(schema.properties.headline?.maxLength).toBe(15);
  });

  it("requires the brand's required terms in every variant", async () => {
    const firstCall = ['山茶冷泡，清爽一夏', '清爽一夏'];
    const engine = new ScriptedEngine([firstCall, ['冷萃12小时的山茶']]);
    const answer = await pipelineOver(engine).generate(
      brief({ ...TEA, brandVoice: { requiredTerms: ['山茶'] } }),
    );

    expect(answer.variants.map((v) => v.text)).toEqual(['山茶冷泡，清爽一夏', '冷萃12小时的山茶']);
    expect(answer.rejected[0]?.reasons).toEqual(['missing_required_terms: 山茶']);
  });

  it('stops after three attempts and returns fewer variants rather than failing ones', async () => {
    const engine = new ScriptedEngine([['全国第一'], ['史无前例'], ['国家级好茶'], ['清爽']]);
    const answer = await pipelineOver(engine).generate(brief({ ...TEA, variants: 1 }));

    expect(engine.requests).toHaveLength(3);
    expect(answer.variants).toEqual([]);
    expect(answer.rejected).toHaveLength(3);
  });

  it('drops the reasoning field of a structured chain-of-thought answer', async () => {
    const engine = new ScriptedEngine([
      [
        JSON.stringify({
          reasoning: '白领午后犯困',
          body: '下午三点，来瓶0糖冷泡乌龙',
          cta: '马上尝鲜',
        }),
      ],
    ]);
    const answer = await pipelineOver(engine).generate(
      brief({ ...TEA, channel: 'wechat_moments', strategy: 'cot', variants: 1 }),
    );

    expect(answer.variants[0]?.text).toBe('下午三点，来瓶0糖冷泡乌龙\n马上尝鲜');
    expect(JSON.stringify(answer)).not.toContain('白领午后犯困');
    expect(
      Object.keys((engine.requests[0]?.json_schema as { properties: object }).properties),
    ).toEqual(['reasoning', 'body', 'cta']);
  });

  it('never leaks chain-of-thought reasoning into plain copy', async () => {
    const engine = new ScriptedEngine([
      [
        '思路：白领下午犯困，需要提神又不想喝糖。\n最终文案：下午三点，来瓶0糖冷泡乌龙',
        '思路：他们在意健康',
      ],
      ['思路：清爽\n最终文案：冷萃12小时，办公室里的清爽'],
    ]);

    const answer = await pipelineOver(engine).generate(brief({ ...TEA, strategy: 'cot' }));

    expect(answer.variants.map((v) => v.text)).toEqual([
      '下午三点，来瓶0糖冷泡乌龙',
      '冷萃12小时，办公室里的清爽',
    ]);
    expect(answer.rejected[0]?.reasons).toEqual(['reasoning_without_final_copy']);
  });
});

describe('Class: StreamGuard', () => {
  it('never releases a claim written over several tokens (case 19)', () => {
    const shown: string[] = [];
    const guard = new StreamGuard(brief(TEA), (token) => shown.push(token.text));

    for (const piece of ['本品', '全国第', '一', '，好喝']) guard.push(0, 0, piece);
    guard.finish(0, 0, false);

    expect(shown.join('')).not.toContain('第');
  });

  it('shows only the copy fields of a structured candidate, never its reasoning', () => {
    const shown: string[] = [];
    const guard = new StreamGuard(brief(TEA), (token) => shown.push(token.text), true);
    const json = JSON.stringify({
      reasoning: '白领午后犯困，想提神',
      body: '下午三点，来瓶0糖冷泡乌龙',
      cta: '马上尝鲜',
    });

    for (let i = 0; i < json.length; i += 3) guard.push(0, 0, json.slice(i, i + 3));
    guard.finish(0, 0, true);

    expect(shown.join('')).toBe('下午三点，来瓶0糖冷泡乌龙\n马上尝鲜');
  });

  it('releases a passing candidate whole, without control characters', () => {
    const shown: string[] = [];
    const guard = new StreamGuard(brief(TEA), (token) => shown.push(token.text));
    const pieces = ['冷萃12小时，', '一口\u0002清爽，', '办公室午后的', '一瓶好茶'.repeat(10)];

    for (const piece of pieces) guard.push(0, 0, piece);
    const beforeFinish = shown.join('');
    guard.finish(0, 0, true);

    expect(beforeFinish.length).toBeLessThan(shown.join('').length);
    expect(shown.join('')).toBe(pieces.join('').replace('\u0002', ''));
  });
});

describe('Answers', () => {
  it('splits ten variants over engine calls of at most eight candidates', async () => {
    const texts = Array.from(
      { length: 10 },
      (_, i) => `第${i + 2}款口味：${'清爽甘甜醇厚回甘'.slice(i % 4)}${i}`,
    );
    const engine = new ScriptedEngine([texts.slice(0, 8), texts.slice(8)]);

    const answer = await pipelineOver(engine).generate(brief({ ...TEA, variants: 10 }));

    expect(engine.requests.map((request) => request.n)).toEqual([8, 2]);
    expect(answer.variants).toHaveLength(10);
    expect(answer.incomplete).toBe(false);
  });

  it('flags an answer with fewer variants than asked, and never caches it', async () => {
    const engine = new ScriptedEngine([
      ['全国第一'],
      ['史无前例'],
      ['国家级'],
      ['一口清爽', '冷萃12小时'],
    ]);
    const pipeline = pipelineOver(engine);
    const first = await pipeline.generate(brief({ ...TEA, variants: 1 }));
    const second = await pipeline.generate(brief({ ...TEA, variants: 1 }));

    expect(first).toMatchObject({ requested: 1, incomplete: true, variants: [] });
    expect(second.cached).toBe(false);
  });

  it('reports no engine usage on a cache hit', async () => {
    const engine = new ScriptedEngine([['一口清爽', '冷萃12小时，办公室午后']]);
    const pipeline = pipelineOver(engine);
    await pipeline.generate(brief(TEA));
    const hit = await pipeline.generate(brief(TEA));

    expect(hit.cached).toBe(true);
    expect(hit.usage).toEqual({
      promptTokens: 0,
      cachedPromptTokens: 0,
      completionTokens: 0,
      engineCalls: 0,
    });
  });
});
