/**
 * Rewrite feedback: what a marketer says about earlier variants ("太正式了", "shorter") turned
 * into a concrete instruction for the model and, where it asks for it, a tighter length.
 * @module
 */
import type { Brief } from './brief.js';
import { charLength } from './text.js';

/** How feedback changes the next request. */
export interface Steering {
  brief: Brief;
  /** The feedback restated as an instruction the model can follow. */
  instruction: string;
}

type Rule = {
  pattern: RegExp;
  zh: string;
  en: string;
  /** Shrinks the length target to this share of the earlier variants' average. */
  lengthFactor?: number;
};

const RULES: Rule[] = [
  {
    pattern: /太正式|太官方|太严肃|too formal|too stiff|more casual/i,
    zh: '语气更口语、更轻松，像朋友聊天',
    en: 'Make the tone casual and conversational, like a friend talking',
  },
  {
    pattern: /不够吸引|没吸引力|太平淡|不抓人|not catchy|boring|more engaging|not engaging/i,
    zh: '开头一句就抓住注意力，突出用户能得到的好处',
    en: 'Open with a hook and lead with the benefit the reader gets',
  },
  {
    pattern: /换个角度|换个思路|另一个角度|another angle|different angle|something different/i,
    zh: '换一个卖点或使用场景切入，不要重复之前的思路',
    en: 'Take a different selling point or use case than before',
  },
  {
    pattern: /太长|短一点|更短|简短|shorter|too long|more concise/i,
    zh: '写得更短、更精炼',
    en: 'Make it shorter and tighter',
    lengthFactor: 0.7,
  },
  {
    pattern: /紧迫|急迫感|限时|urgency|urgent|hurry/i,
    zh: '加入真实的行动理由和时间感（不要虚构库存或限时）',
    en: 'Add urgency with a real reason to act now (no invented scarcity or deadlines)',
  },
  {
    pattern: /太随意|正式一点|更正式|more formal|too casual|professional/i,
    zh: '语气更正式、更专业',
    en: 'Make the tone more formal and professional',
  },
];

/**
 * Steers a rewrite: instructions for every recognised kind of feedback (the feedback itself is
 * always passed on too), and a shorter length target when asked.
 *
 * @example
 * steer(brief, 'shorter, add urgency', ['An earlier 120-character variant…']).brief.length // 84
 */
export function steer(
  brief: Brief,
  feedback: string,
  earlierVariants: readonly string[],
): Steering {
  const matched = RULES.filter((rule) => rule.pattern.test(feedback));
  const instructions = matched.map((rule) => rule[brief.language]);
  const factor = matched.find((rule) => rule.lengthFactor)?.lengthFactor;

  const steered = factor ? withShorterLength(brief, earlierVariants, factor) : brief;
  const separator = brief.language === 'zh' ? '；' : '; ';
  const instruction = [feedback, ...instructions].join(separator);
  return { brief: steered, instruction };
}

function withShorterLength(brief: Brief, earlier: readonly string[], factor: number): Brief {
  if (earlier.length === 0) return brief;
  const average = earlier.reduce((sum, text) => sum + charLength(text), 0) / earlier.length;
  return { ...brief, length: Math.max(8, Math.round(average * factor)) };
}
