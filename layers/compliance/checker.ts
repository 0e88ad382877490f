/**
 * @module compliance/checker
 * The compliance checker: rule terms compiled into one automaton over folded text, each hit
 * judged in context, overlapping hits resolved to the longest, plus brand terms and a channel's
 * editorial rules. One pass over the text whatever the number of rules.
 */
import { Automaton } from './automaton.js';
import {
  digitsHold,
  followedByAny,
  followedWithin,
  originEnd,
  originStart,
  precededByAny,
  precededWithin,
  wordEdgeAfter,
  wordEdgeBefore,
  WordSet,
  type Scan,
} from './context.js';
import { editorialViolations } from './editorial.js';
import {
  CodeUnits,
  digitLikeTable,
  foldInto,
  foldTable,
  foldTerm,
  isWordUnit,
  type FoldTable,
} from './normalize.js';
import { assertUniqueIds, loadRuleDirectory, type RuleDefinition } from './rule-schema.js';
import type { BrandTerms, CheckOptions, ComplianceResult, Violation } from './types.js';

/** The logger methods the checker uses; Powertools' Logger fits. */
export interface CheckerLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
}

/** A rule with its context words folded, ready for matching. */
interface CompiledRule {
  definition: RuleDefinition;
  unlessFollowedBy: WordSet;
  unlessPrecededBy: WordSet;
  unlessPrecededWithin: WordSet;
  unlessWithin: number;
  requiresFollowedBy: WordSet;
  requiresWithin: number;
}

/** One term of one rule, folded, with what a hit on it must satisfy. */
interface CompiledTerm {
  rule: CompiledRule;
  term: string;
  length: number;
  /** folded positions that must be digits in the text ('no.1' is not 'No, I') */
  digitPositions: number[];
  /** the term starts or ends with a Latin letter or digit: it must stand as a whole word */
  wordStart: boolean;
  wordEnd: boolean;
}

/** A hit that survived word-edge and digit checks; `cleared` when its context makes it clean. */
interface Hit {
  term: CompiledTerm;
  start: number;
  end: number;
  cleared: boolean;
}

const BRAND_RULE: Omit<RuleDefinition, 'terms'> = {
  id: 'brand.banned',
  category: 'brand_terms',
  severity: 'block',
  reason: "The brand's own list bans this term.",
  suggestion: "Rephrase without this term; see the brand's style guide.",
  language: 'any',
};

/**
 * A compiled set of rules. Share one per process: checks are synchronous and reuse its scratch
 * buffers, and its rules never change after construction.
 */
export class Checker {
  private readonly table: FoldTable = foldTable();
  private readonly digitLike = digitLikeTable();
  private readonly terms: CompiledTerm[];
  private readonly automaton: Automaton;
  private readonly brandCache = new Map<string, BrandMatcher>();
  private units = new Uint16Array(256);
  private origin = new Int32Array(256);
  private matchBuffer: Int32Array = new Int32Array(256);
  private readonly source = new CodeUnits();

  /**
   * @param rules - validated rule definitions (see loadRuleDirectory)
   */
  constructor(readonly rules: readonly RuleDefinition[]) {
    assertUniqueIds(rules, 'rules given to Checker');
    this.terms = rules.flatMap((rule) => compileRule(rule, this.table));
    this.automaton = new Automaton(this.terms.map((t) => foldTerm(t.term, this.table)));
  }

  /** States of the compiled automaton (about the total length of all terms). */
  get stateCount(): number {
    return this.automaton.stateCount;
  }

  /** Loads, validates and compiles every rule file in a folder. */
  static fromDirectory(dir: string, logger?: CheckerLogger): Checker {
    const checker = new Checker(loadRuleDirectory(dir));
    logger?.info('compliance rules loaded', { rules_dir: dir, rule_count: checker.rules.length });
    return checker;
  }

  /**
   * Checks one text.
   * @example checker.check('全国销量第一').passed // false
   */
  check(text: string, options: CheckOptions = {}): ComplianceResult {
    if (typeof text !== 'string') {
      throw new TypeError(`compliance check expects a string, got ${typeof text}`);
    }
    const scan = this.fold(text);
    const zh = options.language === 'zh' || scan.folded.hasCjk;

    const hits = this.ruleHits(scan, zh);
    if (options.brand?.bannedTerms?.length) hits.push(...this.brandHits(scan, options.brand));

    const violations = longestHits(hits).map((hit) => toViolation(scan, hit));
    const extra = [...this.missingRequired(scan, options.brand)];
    if (options.channel) extra.push(...editorialViolations(text, options.channel, options.field));
    if (extra.length > 0) {
      violations.push(...extra);
      violations.sort((a, b) => a.start - b.start || b.end - a.end);
    }

    const passed = !violations.some((v) => v.severity === 'block');
    return { passed, violations };
  }

  /** The 'block' terms of a language (and of every language) for the decoder's bad_words. */
  blockTerms(language: 'zh' | 'en'): string[] {
    // The rules never change within a checker, and the pipeline asks on every engine call.
    let terms = this.blockTermsByLanguage.get(language);
    if (!terms) {
      terms = this.collectBlockTerms(language);
      this.blockTermsByLanguage.set(language, terms);
    }
    return [...terms];
  }

  private readonly blockTermsByLanguage = new Map<'zh' | 'en', string[]>();

  private collectBlockTerms(language: 'zh' | 'en'): string[] {
    // Every spelling as written (not one per folded form): the decoder matches exact text.
    const rules = this.rules.filter((rule) => {
      const inLanguage = rule.language === language || rule.language === 'any';
      const contextFree = !rule.unless && !rule.requires;
      return inLanguage && rule.severity === 'block' && (rule.badWords ?? contextFree);
    });
    return [...new Set(rules.flatMap((rule) => rule.terms))];
  }

  private fold(text: string): Scan {
    if (this.units.length < text.length) {
      this.units = new Uint16Array(text.length * 2);
      this.origin = new Int32Array(text.length * 2);
    }
    const source = this.source.load(text);
    const folded = foldInto(source, text.length, this.table, this.units, this.origin);
    return { text, folded, table: this.table, digitLike: this.digitLike };
  }

  private ruleHits(scan: Scan, zh: boolean): Hit[] {
    const found = this.automaton.collect(scan.folded.units, scan.folded.length, this.matchBuffer);
    this.matchBuffer = found.hits;

    const hits: Hit[] = [];
    for (let i = 0; i < found.count; i++) {
      const pattern = found.hits[2 * i] as number;
      const end = found.hits[2 * i + 1] as number;
      const start = end - this.automaton.patternLength(pattern);
      const hit = this.judge(scan, this.terms[pattern] as CompiledTerm, start, end, zh);
      if (hit) hits.push(hit);
    }
    return hits;
  }

  private judge(
    scan: Scan,
    term: CompiledTerm,
    start: number,
    end: number,
    zh: boolean,
  ): Hit | undefined {
    if (term.rule.definition.language === 'zh' && !zh) return undefined;
    if (!standsAlone(scan, term, start, end)) return undefined;

    return { term, start, end, cleared: !inContext(scan, term.rule, start, end) };
  }

  private brandHits(scan: Scan, brand: BrandTerms): Hit[] {
    const matcher = this.brandMatcher(brand.bannedTerms ?? []);
    return matcher.automaton
      .scan(scan.folded.units, scan.folded.length)
      .map((m) => ({ term: matcher.terms[m.pattern] as CompiledTerm, start: m.start, end: m.end }))
      .filter((hit) => standsAlone(scan, hit.term, hit.start, hit.end))
      .map((hit) => ({ ...hit, cleared: false }));
  }

  private brandMatcher(bannedTerms: string[]): BrandMatcher {
    const key = JSON.stringify(bannedTerms);
    let matcher = this.brandCache.get(key);
    if (matcher) return matcher;

    const terms = compileRule({ ...BRAND_RULE, terms: bannedTerms }, this.table);
    matcher = { terms, automaton: new Automaton(terms.map((t) => foldTerm(t.term, this.table))) };
    // A small bound: brands are few per process, but briefs are untrusted input.
    if (this.brandCache.size >= 256) this.brandCache.clear();
    this.brandCache.set(key, matcher);
    return matcher;
  }

  private missingRequired(scan: Scan, brand: BrandTerms | undefined): Violation[] {
    const required = brand?.requiredTerms ?? [];
    if (required.length === 0) return [];

    const folded = String.fromCharCode(...scan.folded.units.subarray(0, scan.folded.length));
    return required
      .filter((term) => !folded.includes(foldTerm(term, this.table)))
      .map((term) => ({
        ruleId: 'brand.required',
        category: 'brand_terms',
        severity: 'warn' as const,
        term,
        start: 0,
        end: 0,
        reason: 'The brand requires this term in its copy and the text does not contain it.',
        suggestion: `Work "${term}" into the copy.`,
      }));
  }
}

interface BrandMatcher {
  terms: CompiledTerm[];
  automaton: Automaton;
}

function compileRule(definition: RuleDefinition, table: FoldTable): CompiledTerm[] {
  const fold = (words: string[] | undefined) =>
    new WordSet((words ?? []).map((w) => foldTerm(w, table)).filter((w) => w.length > 0));
  const rule: CompiledRule = {
    definition,
    unlessFollowedBy: fold(definition.unless?.followedBy),
    unlessPrecededBy: fold(definition.unless?.precededBy),
    unlessPrecededWithin: fold(definition.unless?.precededWithin?.words),
    unlessWithin: definition.unless?.precededWithin?.within ?? 0,
    requiresFollowedBy: fold(definition.requires?.followedBy),
    requiresWithin: definition.requires?.within ?? 0,
  };

  const seen = new Set<string>();
  return definition.terms.flatMap((term) => {
    const folded = foldTerm(term, table);
    if (folded.length === 0 || seen.has(folded)) return [];

    seen.add(folded);
    return [compileTerm(rule, term, folded, table)];
  });
}

function compileTerm(rule: CompiledRule, term: string, folded: string, table: FoldTable) {
  const digitLike = digitLikeTable();
  const digitPositions: number[] = [];
  let k = 0;
  for (let i = 0; i < term.length; i++) {
    const unit = term.charCodeAt(i);
    if (table[unit] === 0) continue;
    if (digitLike[unit] === 1) digitPositions.push(k);
    k += 1;
  }

  const wordStart = isWordUnit(folded.charCodeAt(0));
  const wordEnd = isWordUnit(folded.charCodeAt(folded.length - 1));
  return { rule, term, length: folded.length, digitPositions, wordStart, wordEnd };
}

function standsAlone(scan: Scan, term: CompiledTerm, start: number, end: number): boolean {
  if (!digitsHold(scan, start, term.digitPositions)) return false;
  if (!term.wordStart && !term.wordEnd) return true;

  if (term.wordStart && !wordEdgeBefore(scan, originStart(scan, start))) return false;
  return !term.wordEnd || wordEdgeAfter(scan, originEnd(scan, end - 1));
}

function inContext(scan: Scan, rule: CompiledRule, start: number, end: number): boolean {
  if (rule.requiresFollowedBy.size > 0) {
    if (!followedWithin(scan, end, rule.requiresWithin, rule.requiresFollowedBy)) return false;
  }
  if (followedByAny(scan, end, rule.unlessFollowedBy)) return false;
  if (precededByAny(scan, start, rule.unlessPrecededBy)) return false;
  if (rule.unlessPrecededWithin.size === 0) return true;
  return !precededWithin(scan, start, rule.unlessWithin, rule.unlessPrecededWithin);
}

/**
 * Keeps, among overlapping hits, the longest: '最好' wins over '最', 'miracle cure' over 'cure'.
 * A hit its context cleared still covers the hits inside it, so 最高可省 clears its 最 too.
 * One sweep in start order: a hit is inside an earlier one when some earlier hit reaches as far.
 */
function longestHits(hits: Hit[]): Hit[] {
  hits.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Hit[] = [];
  let reach = -1;
  for (const hit of hits) {
    if (hit.end <= reach) continue;

    reach = hit.end;
    if (!hit.cleared) kept.push(hit);
  }
  return oneOfEachOverlap(kept);
}

/**
 * Hits that cross without one holding the other ('the most' and 'most effective' in 'the most
 * effective') name one claim: only one is reported. A block wins over a warn, so the text never
 * passes because of the choice; between equals the longer wins, then the earlier.
 */
function oneOfEachOverlap(hits: Hit[]): Hit[] {
  const kept: Hit[] = [];
  for (const hit of hits) {
    const last = kept[kept.length - 1];
    if (!last || hit.start >= last.end) kept.push(hit);
    else if (outranks(hit, last)) kept[kept.length - 1] = hit;
  }
  return kept;
}

function outranks(hit: Hit, other: Hit): boolean {
  const blocks = hit.term.rule.definition.severity === 'block';
  const otherBlocks = other.term.rule.definition.severity === 'block';
  if (blocks !== otherBlocks) return blocks;
  return hit.end - hit.start > other.end - other.start;
}

function toViolation(scan: Scan, hit: Hit): Violation {
  const { definition } = hit.term.rule;
  return {
    ruleId: definition.id,
    category: definition.category,
    severity: definition.severity,
    term: hit.term.term,
    start: originStart(scan, hit.start),
    end: originEnd(scan, hit.end - 1),
    reason: definition.reason,
    suggestion: definition.suggestion,
  };
}
