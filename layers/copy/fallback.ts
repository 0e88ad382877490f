/**
 * Template copy filled from the brief: what the service answers, flagged `degraded`, while the
 * engine is down. Plain, factual sentences built only from what the brief states, so they carry
 * no claim the marketer did not make; they are still compliance-checked like any variant.
 * @module
 */
import { checkText } from '../compliance/index.js';
import { newAnswerId, type CopyResponse } from './answer.js';
import type { Brief } from './brief.js';
import { measureCopy } from './channel-format.js';

type Parts = { brand: string; product: string; features: string[]; audience: string };

const TEMPLATES: Record<Brief['language'], Array<(parts: Parts) => string>> = {
  zh: [
    (p) => `${p.brand}${p.product}，${p.features.join('，')}。`,
    (p) => {
      const lead = p.audience ? `${p.audience}的日常新选择：` : '';
      return `${lead}${p.product}，${p.features[0] ?? '现已上市'}。`;
    },
    (p) => `试试${p.brand}${p.product}${p.features[0] ? `，${p.features[0]}` : ''}。`,
  ],
  en: [
    (p) =>
      `${p.brand ? `${p.brand} ` : ''}${p.product}${p.features.length ? `: ${p.features.join(', ')}` : ''}.`,
    (p) =>
      `${p.product}${p.audience ? ` for ${p.audience}` : ''}${p.features[0] ? `: ${p.features[0]}` : ''}.`,
    (p) => `Meet ${p.product}${p.brand ? ` from ${p.brand}` : ''}. Available now.`,
  ],
};

/**
 * Up to three template variants for `brief`.
 *
 * @example
 * templateCopies(brief) // ['山茶冷泡乌龙，0糖，冷萃12小时。', ...]
 */
export function templateCopies(brief: Brief): string[] {
  const parts: Parts = {
    brand: brief.brand ?? '',
    product: brief.product,
    features: brief.features ?? brief.keywords ?? [],
    audience: brief.audience?.join(brief.language === 'zh' ? '、' : ', ') ?? '',
  };
  return TEMPLATES[brief.language].map((fill) => fill(parts));
}

/** Template copy filled from the brief, for when the engine is down; never cached. */
export function degradedAnswer(brief: Brief, productionVariant: string): CopyResponse {
  const variants = templateCopies(brief)
    .map((text) => ({
      text,
      compliance: checkText(text, { language: brief.language, channel: brief.channel }),
    }))
    .filter((candidate) => candidate.compliance.passed)
    .slice(0, brief.variants)
    .map((candidate, index) => ({
      ...candidate,
      index,
      length: measureCopy(brief, candidate.text),
    }));

  return {
    id: newAnswerId(),
    model: 'template',
    productionVariant,
    cached: false,
    degraded: true,
    language: brief.language,
    channel: brief.channel,
    strategy: brief.strategy,
    requested: brief.variants,
    incomplete: variants.length < brief.variants,
    variants,
    rejected: [],
    usage: { promptTokens: 0, cachedPromptTokens: 0, completionTokens: 0, engineCalls: 0 },
    timings: { totalMs: 0, engineMs: 0 },
  };
}
