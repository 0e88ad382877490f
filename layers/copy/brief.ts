/**
 * The brief: what a marketer asks for, validated once at the boundary.
 *
 * Ad teams already send snake_case names (`product_name`, `brand_tone`, ...) while our own clients
 * send camelCase; both are accepted and mapped to one canonical, normalised `Brief`. Unknown
 * fields are errors that name them, so a misspelt `langauge` never silently yields Chinese copy.
 * @module
 */
import { z } from 'zod';

import { CHANNEL_IDS } from '../channels/index.js';
import { charLength, hasCjk, isBlank, normaliseField } from './text.js';

/** Prompt strategies the service knows. */
export const STRATEGIES = ['zero_shot', 'structured', 'role', 'cot'] as const;

/** Named lengths a brief may ask for instead of a number of characters. */
export const NAMED_LENGTHS = ['short', 'medium', 'long'] as const;

/** Limits on brief fields, in characters (code points). Exported for docs and tests. */
export const BRIEF_LIMITS = {
  brand: 40,
  product: 80,
  feature: 60,
  features: 10,
  keyword: 30,
  keywords: 10,
  audience: 40,
  audiences: 5,
  tone: 40,
  style: 40,
  example: 300,
  examples: 5,
  term: 30,
  bannedTerms: 50,
  requiredTerms: 5,
  variants: 10,
  length: 1000,
} as const;

/** Canonical field name for each name a client may send. */
const FIELD_ALIASES: Record<string, string> = {
  product_name: 'product',
  productName: 'product',
  brand_name: 'brand',
  brandName: 'brand',
  selling_points: 'features',
  sellingPoints: 'features',
  target_audience: 'audience',
  targetAudience: 'audience',
  brand_tone: 'tone',
  brandTone: 'tone',
  output_style: 'style',
  outputStyle: 'style',
  num_variants: 'variants',
  numVariants: 'variants',
  max_length: 'length',
  maxLength: 'length',
  prompt_strategy: 'strategy',
  promptStrategy: 'strategy',
  brand_voice: 'brandVoice',
  session_id: 'sessionId',
};

const VOICE_ALIASES: Record<string, string> = {
  banned_terms: 'bannedTerms',
  required_terms: 'requiredTerms',
};

// Keys that would reach Object.prototype if copied naively.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// In a /u pattern a surrogate range matches only surrogates that are not part of a pair; U+FFFD
// is what a decoder leaves of bytes that were not UTF-8.
const BROKEN_TEXT = /[\uD800-\uDFFF\uFFFD]/u;

/** True when `text` holds a lone surrogate or a replacement character: broken, not copy. */
export function isBrokenText(text: string): boolean {
  return BROKEN_TEXT.test(text);
}

/**
 * A free-text field: not blank (invisible characters do not count), at most `max` characters,
 * normalised (NFC, edges trimmed, space runs collapsed).
 */
function textField(max: number) {
  return (
    z
      .string()
      .superRefine((value, ctx) => {
        if (isBlank(value)) {
          ctx.addIssue({
            code: 'custom',
            message: 'must not be blank or only invisible characters',
          });
          return;
        }
        if (isBrokenText(value)) {
          ctx.addIssue({
            code: 'custom',
            message: 'contains broken text (invalid UTF-8 or a lone UTF-16 surrogate)',
          });
          return;
        }
        const length = charLength(normaliseField(value));
        if (length > max) {
          ctx.addIssue({
            code: 'custom',
            message: `must be at most ${max} characters (got ${length})`,
          });
        }
      })
      .transform(normaliseField)
      // Documented in the OpenAPI schema; JSON Schema's maxLength counts code points, as we do.
      .meta({ maxLength: max })
  );
}

function textList(itemMax: number, listMax: number, what: string) {
  return z.array(textField(itemMax)).max(listMax, {
    error: (issue) => `at most ${listMax} ${what} (got ${lengthOf(issue.input)})`,
  });
}

function lengthOf(input: unknown): number | string {
  return Array.isArray(input) ? input.length : '?';
}

/**
 * An integer field. The one rule for numbers sent as strings, on every path: a string of plain
 * ASCII digits ("3") is read as that number; anything else ("", " ", "1e3", "12abc") is an error.
 */
export function integerField(min: number, max: number) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^[0-9]{1,15}$/.test(value) ? Number(value) : value),
    z
      .int({ error: 'must be an integer (a string is accepted only as plain digits, like "3")' })
      .min(min, { error: `must be at least ${min}` })
      .max(max, { error: `must be at most ${max}` }),
  );
}

const BrandVoiceSchema = z
  .strictObject({
    examples: textList(BRIEF_LIMITS.example, BRIEF_LIMITS.examples, 'examples').optional(),
    bannedTerms: textList(BRIEF_LIMITS.term, BRIEF_LIMITS.bannedTerms, 'banned terms').optional(),
    requiredTerms: textList(
      BRIEF_LIMITS.term,
      BRIEF_LIMITS.requiredTerms,
      'required terms',
    ).optional(),
  })
  .meta({ description: 'Brand voice: example copy, and terms that must never or always appear.' });

/** The canonical brief, after aliases are resolved. */
export const CanonicalBriefSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .meta({ description: "The caller's own reference, echoed back (batch lines use it)." }),
  brand: textField(BRIEF_LIMITS.brand).optional().meta({ example: '山茶' }),
  product: textField(BRIEF_LIMITS.product).meta({
    description: 'The product; also accepted as product_name.',
    example: '冷泡乌龙',
  }),
  features: textList(BRIEF_LIMITS.feature, BRIEF_LIMITS.features, 'features')
    .optional()
    .meta({ description: 'Selling points; also accepted as selling_points.' }),
  keywords: textList(BRIEF_LIMITS.keyword, BRIEF_LIMITS.keywords, 'keywords').optional(),
  audience: z
    .union(
      [
        textField(BRIEF_LIMITS.audience),
        textList(BRIEF_LIMITS.audience, BRIEF_LIMITS.audiences, 'audiences'),
      ],
      {
        error:
          `must be a text, or a list of at most ${BRIEF_LIMITS.audiences} texts, ` +
          `each at most ${BRIEF_LIMITS.audience} characters`,
      },
    )
    .transform((value) => (Array.isArray(value) ? value : [value]))
    .optional()
    .meta({ description: 'Who the copy speaks to; also accepted as target_audience.' }),
  tone: textField(BRIEF_LIMITS.tone)
    .optional()
    .meta({ description: 'Brand tone; also accepted as brand_tone.' }),
  style: textField(BRIEF_LIMITS.style)
    .optional()
    .meta({ description: 'Output style; also accepted as output_style.' }),
  channel: z.enum(CHANNEL_IDS).default('generic'),
  language: z
    .enum(['zh', 'en'])
    .optional()
    .meta({ description: 'Language of the copy; detected from the product when absent.' }),
  variants: integerField(1, BRIEF_LIMITS.variants).default(3),
  length: z
    .union([z.enum(NAMED_LENGTHS), integerField(1, BRIEF_LIMITS.length)], {
      error: `must be short, medium, long, or a whole number of characters from 1 to ${BRIEF_LIMITS.length}`,
    })
    .optional()
    .meta({
      description:
        'Maximum characters of the main text (the body, or the headline where a channel has ' +
        'no body), or short / medium / long.',
    }),
  strategy: z.enum(STRATEGIES).default('structured'),
  brandVoice: BrandVoiceSchema.optional(),
  sessionId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, {
      error: 'must be 1 to 64 letters, digits, "_" or "-"',
    })
    .optional(),
  seed: integerField(0, 2_147_483_647).optional(),
});

/** A validated, normalised brief. Inner code accepts only this type. */
export type Brief = Omit<z.output<typeof CanonicalBriefSchema>, 'language'> & {
  language: 'zh' | 'en';
};

/** A brief as clients may send it (camelCase or snake_case names). */
export const BriefSchema = z.preprocess(resolveAliases, CanonicalBriefSchema);

/**
 * The brief as the OpenAPI document shows it: every canonical field and every alias a client may
 * send, built from the same field schemas. Validation uses {@link BriefSchema}; a field and its
 * alias are mutually exclusive, and `product` (or an alias of it) is required.
 */
export const BriefDocSchema = z
  .strictObject({
    ...Object.fromEntries(
      Object.entries(CanonicalBriefSchema.shape).map(([name, schema]) => [name, schema.optional()]),
    ),
    ...Object.fromEntries(
      Object.entries(FIELD_ALIASES).map(([alias, name]) => [
        alias,
        CanonicalBriefSchema.shape[name as keyof typeof CanonicalBriefSchema.shape]
          .optional()
          .meta({ description: `Same as \`${name}\`.` }),
      ]),
    ),
  })
  .meta({
    id: 'Brief',
    description:
      'A copy brief. `product` (or `product_name`) is required. The snake_case names ad teams ' +
      'already send are accepted; send a field under one name only.',
  });

/** One validation problem, with the path as the client sent it. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Result of {@link parseBrief}: the brief, or every problem found. */
export type BriefParseResult =
  { success: true; data: Brief } | { success: false; issues: FieldIssue[] };

/**
 * Validates and normalises a brief from any path (HTTP body, batch line).
 *
 * @example
 * const parsed = parseBrief({ product_name: '冷泡乌龙', channel: 'wechat_moments' });
 * if (parsed.success) console.log(parsed.data.product, parsed.data.language); // 冷泡乌龙 zh
 */
export function parseBrief(raw: unknown): BriefParseResult {
  const forbidden = findForbiddenKeys(raw);
  if (forbidden.length > 0) return { success: false, issues: forbidden };

  const sentNames = aliasesSent(raw);
  const conflicts = aliasConflicts(raw);
  if (conflicts.length > 0) return { success: false, issues: conflicts };

  // reportInput: tell a missing field ("is required") from one of the wrong type.
  const result = BriefSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    return { success: false, issues: result.error.issues.map((i) => toFieldIssue(i, sentNames)) };
  }
  return { success: true, data: withLanguage(result.data) };
}

function withLanguage(brief: z.output<typeof CanonicalBriefSchema>): Brief {
  const language = brief.language ?? (hasCjk(`${brief.brand ?? ''}${brief.product}`) ? 'zh' : 'en');
  return { ...brief, language };
}

function resolveAliases(raw: unknown): unknown {
  if (!isPlainObject(raw)) return raw;

  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = FIELD_ALIASES[key] ?? key;
    resolved[name] = name === 'brandVoice' ? resolveVoiceAliases(value) : value;
  }
  return resolved;
}

function resolveVoiceAliases(raw: unknown): unknown {
  if (!isPlainObject(raw)) return raw;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [VOICE_ALIASES[k] ?? k, v]));
}

function aliasesSent(raw: unknown): Map<string, string> {
  const sent = new Map<string, string>();
  if (!isPlainObject(raw)) return sent;
  for (const key of Object.keys(raw)) {
    const name = FIELD_ALIASES[key];
    if (name) sent.set(name, key);
  }
  return sent;
}

function aliasConflicts(raw: unknown): FieldIssue[] {
  if (!isPlainObject(raw)) return [];
  const seen = new Map<string, string>();
  const issues: FieldIssue[] = [];
  for (const key of Object.keys(raw)) {
    const name = FIELD_ALIASES[key] ?? key;
    const earlier = seen.get(name);
    if (earlier)
      issues.push({ path: key, message: `duplicates "${earlier}": send only one of them` });
    seen.set(name, key);
  }
  return issues;
}

/** Deeper than any brief needs; deeper input is refused before anything walks it recursively. */
const MAX_DEPTH = 8;

/**
 * Keys that would reach Object.prototype, and nesting deeper than a brief can be. Walks with an
 * explicit stack, so a body of thousands of nested arrays cannot overflow the call stack.
 */
function findForbiddenKeys(root: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const stack: Array<{ value: unknown; path: string; depth: number }> = [
    { value: root, path: '', depth: 0 },
  ];

  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_DEPTH) {
      return [{ path: path || '(body)', message: `is nested deeper than ${MAX_DEPTH} levels` }];
    }

    const entries = Array.isArray(value)
      ? value.map((item, index) => [`${path}[${index}]`, item] as const)
      : Object.keys(value).map((key) => {
          const here = path ? `${path}.${key}` : key;
          if (FORBIDDEN_KEYS.has(key))
            issues.push({ path: here, message: 'is not an allowed field name' });
          return [here, (value as Record<string, unknown>)[key]] as const;
        });
    for (const [here, child] of entries) stack.push({ value: child, path: here, depth: depth + 1 });
  }
  return issues;
}

function toFieldIssue(issue: z.core.$ZodIssue, sentNames: Map<string, string>): FieldIssue {
  const [head, ...rest] = issue.path;
  const first = typeof head === 'string' ? (sentNames.get(head) ?? head) : head;
  const path = formatPath(head === undefined ? [] : [first as PropertyKey, ...rest]);

  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.map((k) => `"${k}"`).join(', ');
    return { path: path || '(body)', message: `unknown field ${names}` };
  }
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return { path, message: 'is required' };
    if (!path) return { path: '(body)', message: 'the body must be a JSON object' };
    // A schema's own message (numbers explain the digits rule) beats zod's generic one.
    if (!issue.message.startsWith('Invalid input')) return { path, message: issue.message };
    return { path, message: `must be ${issue.expected} (got ${describeType(issue.input)})` };
  }
  return { path: path || '(body)', message: issue.message };
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 20))}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** `["features", 2]` as `features[2]`, the way a client reads a path. */
function formatPath(segments: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of segments) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text ? `.${String(segment)}` : String(segment);
  }
  return text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
