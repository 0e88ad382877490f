/**
 * Prompt building: a long system prompt shared by every brief of a language (so the engine's
 * KV prefix cache serves it), then the brief and the strategy's instructions as the user turn.
 *
 * The wording lives in prompts.json, where it can be tuned without touching code. Brief fields
 * are user text: they go inside the user message, and the engine never parses message contents
 * for special tokens, so `<|im_end|>` in a product name stays text.
 * @module
 */
import type { Brief } from './brief.js';
import { describeChannel } from './channel-format.js';
import PROMPTS from './prompts.json' with { type: 'json' };

/** A chat message as the engine accepts it. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Feedback and history that steer a rewrite. */
export interface RewriteContext {
  feedback: string;
  /** Earlier variants of the session, oldest first; new ones must differ from all of them. */
  earlierVariants: string[];
}

/** The marker after which chain-of-thought output holds the copy itself. */
export const FINAL_MARKER = PROMPTS.finalMarker;

/** How many earlier variants a rewrite prompt quotes; older ones are still checked, not shown. */
const EARLIER_VARIANTS_SHOWN = 5;

/**
 * The chat messages for one brief: the shared system prompt, then the brief.
 *
 * @example
 * const messages = buildMessages(brief);
 * // [{ role: 'system', content: '你是一名资深广告文案…' },
 * //  { role: 'user', content: '产品：冷泡乌龙…' }]
 */
export function buildMessages(brief: Brief, rewrite?: RewriteContext): ChatMessage[] {
  const language = brief.language;
  const parts = [
    describeBrief(brief),
    describeChannel(brief),
    PROMPTS.strategies[language][brief.strategy],
  ];
  if (rewrite) parts.push(rewriteInstruction(language, rewrite));

  return [
    { role: 'system', content: PROMPTS.system[language].join('\n') },
    { role: 'user', content: parts.join('\n\n') },
  ];
}

function describeBrief(brief: Brief): string {
  const labels = PROMPTS.labels[brief.language];
  const list = (items: string[] | undefined) => items?.join(labels.listSeparator);
  const voice = brief.brandVoice;
  const fields: Array<[string, string | undefined]> = [
    [labels.brand, brief.brand],
    [labels.product, brief.product],
    [labels.features, list(brief.features)],
    [labels.keywords, list(brief.keywords)],
    [labels.audience, list(brief.audience)],
    [labels.tone, brief.tone],
    [labels.style, brief.style],
    [labels.requiredTerms, list(voice?.requiredTerms)],
    [labels.bannedTerms, list(voice?.bannedTerms)],
    [labels.examples, list(voice?.examples)],
  ];
  return fields
    .filter((field): field is [string, string] => Boolean(field[1]))
    .map(([label, value]) => `${label}${labels.separator}${value}`)
    .join('\n');
}

function rewriteInstruction(language: 'zh' | 'en', rewrite: RewriteContext): string {
  const earlier = rewrite.earlierVariants
    .slice(-EARLIER_VARIANTS_SHOWN)
    .map((text) => `- ${text}`)
    .join('\n');
  return PROMPTS.rewrite[language]
    .replace('{feedback}', () => rewrite.feedback)
    .replace('{earlier}', () => earlier);
}
