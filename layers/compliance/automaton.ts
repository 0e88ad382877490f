/**
 * @module compliance/automaton
 * An Aho-Corasick automaton compiled to a dense transition table over character classes: every
 * character that occurs in some pattern gets a class, all others share class 0. Scanning costs
 * two array reads per folded unit whatever the number of patterns, so a check is linear in the
 * text and independent of rule count. The table holds states x classes entries; past a memory
 * budget (tens of thousands of terms) the automaton keeps sparse transitions with failure links
 * instead: still linear, a few times slower per character, and bounded in memory.
 *
 * General-purpose libraries (modern-ahocorasick and others) walk Map-based tries and reach a
 * fraction of the throughput target, hence this small table-driven one.
 */

/** A match: pattern index and the folded positions it covers (end exclusive). */
export interface AutomatonMatch {
  pattern: number;
  start: number;
  end: number;
}

/** A compiled multi-pattern matcher over UTF-16 units. */
export class Automaton {
  /** classOf[unit]: the character class of a UTF-16 unit (0: occurs in no pattern) */
  private readonly classOf: Uint16Array;
  private readonly classCount: number;
  /** delta[state * classCount + class]: the next state (16-bit while states fit, to stay in cache) */
  private readonly delta: Uint16Array | Int32Array | undefined;
  /** sparse transitions, keyed state * classCount + class, when the dense table is over budget */
  private readonly goto: Map<number, number>;
  private readonly fail: Int32Array;
  /** patterns ending exactly at a state, as a linked list through `nextOutput` */
  private readonly firstOutput: Int32Array;
  private readonly outputPattern: Int32Array;
  private readonly nextOutput: Int32Array;
  private readonly lengths: Int32Array;

  /**
   * Compiles the patterns (already folded). Empty patterns are ignored.
   * @param options.denseBudgetBytes - most memory for the dense table @default 24 MiB
   * @example new Automaton(['最好', '第一']).scan(units, length)
   */
  constructor(patterns: readonly string[], options: { denseBudgetBytes?: number } = {}) {
    this.classOf = new Uint16Array(65536);
    let classCount = 1;
    for (const pattern of patterns) {
      for (let i = 0; i < pattern.length; i++) {
        const unit = pattern.charCodeAt(i);
        if (this.classOf[unit] === 0) this.classOf[unit] = classCount++;
      }
    }
    this.classCount = classCount;
    this.lengths = Int32Array.from(patterns, (p) => p.length);

    const trie = buildTrie(patterns, this.classOf);
    const compiled = compile(trie, classCount, options.denseBudgetBytes ?? 24 * 1024 * 1024);
    this.delta = compiled.delta;
    this.goto = compiled.goto;
    this.fail = compiled.fail;
    this.firstOutput = compiled.firstOutput;
    this.outputPattern = compiled.outputPattern;
    this.nextOutput = compiled.nextOutput;
  }

  /** Number of states, for tests and sizing. */
  get stateCount(): number {
    return this.firstOutput.length;
  }

  /** True when transitions live in the dense table (the fast path). */
  get dense(): boolean {
    return this.delta !== undefined;
  }

  /** Every occurrence of every pattern in units[0..length), overlaps included. */
  scan(units: Uint16Array, length: number): AutomatonMatch[] {
    const found = this.collect(units, length, new Int32Array(16));
    const matches: AutomatonMatch[] = [];
    for (let i = 0; i < found.count; i++) {
      const pattern = found.hits[2 * i] as number;
      const end = found.hits[2 * i + 1] as number;
      matches.push({ pattern, start: end - (this.lengths[pattern] as number), end });
    }
    return matches;
  }

  /** Length of a pattern in folded units. */
  patternLength(pattern: number): number {
    return this.lengths[pattern] as number;
  }

  /**
   * Writes (pattern, end) pairs of every occurrence into `hits`, growing it when full, and
   * returns the array in use with the pair count. No allocation while the array suffices.
   */
  collect(
    units: Uint16Array,
    length: number,
    hits: Int32Array,
  ): { hits: Int32Array; count: number } {
    const { classOf, classCount, delta, firstOutput, outputPattern, nextOutput } = this;
    let out = hits;
    let count = 0;
    let state = 0;
    for (let k = 0; k < length; k++) {
      const cls = classOf[units[k] as number] as number;
      // Most units of real copy occur in no pattern: they always lead back to the root.
      if (cls === 0) {
        state = 0;
        continue;
      }
      state = delta ? (delta[state * classCount + cls] as number) : this.sparseStep(state, cls);

      for (let o = firstOutput[state] as number; o !== -1; o = nextOutput[o] as number) {
        if (2 * count + 2 > out.length) out = grow(out);
        out[2 * count] = outputPattern[o] as number;
        out[2 * count + 1] = k + 1;
        count += 1;
      }
    }
    return { hits: out, count };
  }

  // The textbook step: follow failure links until a transition exists (amortised linear).
  private sparseStep(from: number, cls: number): number {
    return follow(this.goto, this.fail, this.classCount, from, cls);
  }
}

function grow(hits: Int32Array): Int32Array {
  const larger = new Int32Array(hits.length * 2);
  larger.set(hits);
  return larger;
}

interface Trie {
  /** children per state as class -> state */
  children: Map<number, number>[];
  /** patterns that end at each state */
  ends: number[][];
}

function buildTrie(patterns: readonly string[], classOf: Uint16Array): Trie {
  const trie: Trie = { children: [new Map()], ends: [[]] };
  patterns.forEach((pattern, index) => {
    if (pattern.length === 0) return;

    let state = 0;
    for (let i = 0; i < pattern.length; i++) {
      const cls = classOf[pattern.charCodeAt(i)] as number;
      let next = trie.children[state]?.get(cls);
      if (next === undefined) {
        next = trie.children.length;
        trie.children.push(new Map());
        trie.ends.push([]);
        trie.children[state]?.set(cls, next);
      }
      state = next;
    }
    trie.ends[state]?.push(index);
  });
  return trie;
}

// Breadth-first: a state's failure target is always finished before the state itself.
function compile(trie: Trie, classCount: number, denseBudgetBytes: number) {
  const states = trie.children.length;
  const fail = new Int32Array(states);
  const firstOutput = new Int32Array(states).fill(-1);
  const outputPattern: number[] = [];
  const nextOutput: number[] = [];
  const goto = new Map<number, number>();
  const order: number[] = [0];

  for (let head = 0; head < order.length; head++) {
    const state = order[head] as number;

    // Outputs: own patterns first, then the failure target's list (already complete).
    let list = state === 0 ? -1 : (firstOutput[fail[state] as number] as number);
    for (const pattern of trie.ends[state] ?? []) {
      outputPattern.push(pattern);
      nextOutput.push(list);
      list = outputPattern.length - 1;
    }
    firstOutput[state] = list;

    for (const [cls, child] of trie.children[state] ?? []) {
      goto.set(state * classCount + cls, child);
      fail[child] = state === 0 ? 0 : follow(goto, fail, classCount, fail[state] as number, cls);
      order.push(child);
    }
  }

  const entryBytes = states < 65536 ? 2 : 4;
  const dense = states * classCount * entryBytes <= denseBudgetBytes;
  return {
    delta: dense ? denseTable(trie, order, fail, classCount) : undefined,
    goto: dense ? new Map<number, number>() : goto,
    fail,
    firstOutput,
    outputPattern: Int32Array.from(outputPattern),
    nextOutput: Int32Array.from(nextOutput),
  };
}

/** The state reached from `state` on `cls`, following failure links as needed. */
function follow(
  goto: Map<number, number>,
  fail: Int32Array,
  classCount: number,
  state: number,
  cls: number,
): number {
  let at = state;
  for (;;) {
    const next = goto.get(at * classCount + cls);
    if (next !== undefined) return next;
    if (at === 0) return 0;
    at = fail[at] as number;
  }
}

// Every (state, class) resolved once, in breadth-first order so a failure row is always ready.
function denseTable(trie: Trie, order: number[], fail: Int32Array, classCount: number) {
  const states = trie.children.length;
  const delta =
    states < 65536 ? new Uint16Array(states * classCount) : new Int32Array(states * classCount);
  for (const state of order) {
    const children = trie.children[state] as Map<number, number>;
    const failRow = (fail[state] as number) * classCount;
    for (let cls = 1; cls < classCount; cls++) {
      const child = children.get(cls);
      if (child !== undefined) delta[state * classCount + cls] = child;
      else if (state !== 0) delta[state * classCount + cls] = delta[failRow + cls] as number;
    }
  }
  return delta;
}
