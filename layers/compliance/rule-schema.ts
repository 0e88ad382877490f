/**
 * @module compliance/rule-schema
 * The shape of a rule file, checked with zod when rules load, and the loader that reads a folder
 * of them. Rule files are data a legal team edits; a bad file fails loudly with its path and the
 * field at fault, never silently drops rules.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { z } from 'zod';

const wordList = z.array(z.string().min(1)).min(1);

const windowSchema = z
  .object({
    words: wordList,
    within: z.number().int().min(1).max(200),
  })
  .strict();

const contextSchema = z
  .object({
    /** clean when the term is directly followed by one of these (after folding) */
    followedBy: wordList.optional(),
    /** clean when the term directly follows one of these */
    precededBy: wordList.optional(),
    /** clean when one of these ends within `within` folded characters before the term (negations) */
    precededWithin: windowSchema.optional(),
  })
  .strict();

const requiresSchema = z
  .object({
    /** the term only counts when one of these words follows within `within` folded characters */
    followedBy: wordList,
    within: z.number().int().min(1).max(200),
  })
  .strict();

/** One rule: a family of terms with one reason and one suggested lawful wording. */
export const ruleSchema = z
  .object({
    /** a note for the people who edit the rules (legal basis, history); ignored by the checker */
    $comment: z.string().optional(),
    id: z.string().regex(/^[a-z0-9_.-]+$/, 'ids are lower case: letters, digits, . _ -'),
    category: z.string().regex(/^[a-z_]+$/, 'categories are snake_case'),
    severity: z.enum(['block', 'warn']),
    reason: z.string().min(1),
    suggestion: z.string().min(1),
    terms: wordList,
    unless: contextSchema.optional(),
    requires: requiresSchema.optional(),
    /**
     * Hand the terms to the decoder as bad_words. Defaults to true for rules without context and
     * false for rules with it, since the decoder cannot judge context (it would never write 第一次).
     */
    badWords: z.boolean().optional(),
  })
  .strict();

/** One rule file: rules for one language ('any' applies to every text). */
export const ruleFileSchema = z
  .object({
    $comment: z.string().optional(),
    language: z.enum(['zh', 'en', 'any']),
    /** named word lists that contexts use as '@name' */
    wordClasses: z.record(z.string().regex(/^[a-z_]+$/), wordList).default({}),
    rules: z.array(ruleSchema).min(1),
  })
  .strict();

/** A rule as written in a rule file. */
export type RuleSpec = z.infer<typeof ruleSchema>;

/** A rule file after validation. */
export type RuleFile = z.infer<typeof ruleFileSchema>;

/** A rule with its language, word classes expanded. */
export interface RuleDefinition extends RuleSpec {
  language: 'zh' | 'en' | 'any';
}

/** A rule file or folder that cannot be used; names the file and every field at fault. */
export class RuleFileError extends Error {
  override readonly name = 'RuleFileError';

  /**
   * @param file - path of the rule file or folder
   * @param issues - one line per problem, each with its field path
   */
  constructor(
    readonly file: string,
    readonly issues: string[],
  ) {
    super(`invalid compliance rules in ${file}: ${issues.join('; ')}`);
  }
}

/**
 * Validates one parsed rule file and expands its '@class' references.
 * @param source - the file path, for error messages
 */
export function parseRuleFile(data: unknown, source: string): RuleDefinition[] {
  const parsed = ruleFileSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new RuleFileError(source, issues);
  }

  const { language, wordClasses, rules } = parsed.data;
  const expand = (words: string[] | undefined, field: string): string[] | undefined =>
    words && expandClasses(words, wordClasses, source, field);

  return rules.map((rule, index) => {
    const where = `rules.${index}`;
    const definition: RuleDefinition = { ...rule, language };
    if (rule.unless) {
      const followedBy = expand(rule.unless.followedBy, `${where}.unless.followedBy`);
      const precededBy = expand(rule.unless.precededBy, `${where}.unless.precededBy`);
      const window = rule.unless.precededWithin;
      const precededWithin = window && {
        words: expand(window.words, `${where}.unless.precededWithin.words`) ?? [],
        within: window.within,
      };
      definition.unless = {
        ...(followedBy && { followedBy }),
        ...(precededBy && { precededBy }),
        ...(precededWithin && { precededWithin }),
      };
    }
    if (rule.requires) {
      const followedBy = expand(rule.requires.followedBy, `${where}.requires.followedBy`) ?? [];
      definition.requires = { followedBy, within: rule.requires.within };
    }
    return definition;
  });
}

function expandClasses(
  words: string[],
  classes: Record<string, string[]>,
  source: string,
  field: string,
): string[] {
  return words.flatMap((word) => {
    if (!word.startsWith('@')) return [word];

    const members = classes[word.slice(1)];
    if (!members) throw new RuleFileError(source, [`${field}: unknown word class ${word}`]);
    return members;
  });
}

/**
 * Reads and validates every `*.json` rule file in a folder, in name order. Rule ids must be
 * unique across the folder.
 * @example loadRuleDirectory('/opt/compliance/rules')
 */
export function loadRuleDirectory(dir: string): RuleDefinition[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort();
  } catch (error) {
    throw new RuleFileError(dir, [`cannot read the folder: ${(error as Error).message}`]);
  }
  if (names.length === 0) throw new RuleFileError(dir, ['no *.json rule files in the folder']);

  const rules = names.flatMap((name) => {
    const path = join(dir, name);
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new RuleFileError(path, [`not valid JSON: ${(error as Error).message}`]);
    }
    return parseRuleFile(data, path);
  });

  assertUniqueIds(rules, dir);
  return rules;
}

/** Throws when two rules share an id: a violation's ruleId must name one rule. */
export function assertUniqueIds(rules: readonly RuleDefinition[], source: string): void {
  const seen = new Set<string>();
  const duplicates = rules.filter((rule) => seen.size === seen.add(rule.id).size);
  if (duplicates.length > 0) {
    const ids = duplicates.map((rule) => rule.id).join(', ');
    throw new RuleFileError(source, [`duplicate rule ids: ${ids}`]);
  }
}
