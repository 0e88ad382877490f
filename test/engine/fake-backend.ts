import type {
  DecodeBackend,
  DecodeEntry,
  SamplerSpec,
  SequenceSampler,
} from '../../engine/scheduler/types.js';

/** Token 0 ends a generation; tokens 1..26 are the letters a..z. */
export const END = 0;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** The letters of a text as fake token ids. */
export function tokensOf(text: string): number[] {
  return [...text].map((char) => LETTERS.indexOf(char) + 1);
}

/**
 * A deterministic backend: the next token after `t` is `t + 1` (after `z` comes `a`), unless a
 * script says otherwise. It records every decode step, so tests see what was batched.
 */
export class FakeBackend implements DecodeBackend {
  readonly slotContextSize: number;
  readonly maxBatchTokens: number;
  readonly vocabularySize = 27;
  readonly lanes: number;
  readonly steps: DecodeEntry[][] = [];
  readonly erased: Array<{ slot: number; from: number }> = [];
  /** Milliseconds each decode takes. */
  delayMs = 0;
  /** When set, the decode of this step number (0-based) throws. */
  failAtStep: number | undefined;
  readonly #last: number[];

  constructor(readonly slotCount: number,
    options: { contextSize?: number; batch?: number; lanes?: number } = {}) {
    this.lanes = options.lanes ?? 1;
    this.slotContextSize = options.contextSize ?? 256;
    this.maxBatchTokens = options.batch ?? 64;
    this.#last = new Array(slotCount).fill(END);
  }

  laneOf(slot: number): number {
    return slot % this.lanes;
  }

  async decode(entries: readonly DecodeEntry[]): Promise<void> {
    const step = this.steps.length;
    this.steps.push(entries.map((entry) => ({ ...entry, tokens: [...entry.tokens] })));
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    else await Promise.resolve();
    if (this.failAtStep === step) throw new Error('the device fell over');

    for (const entry of entries) this.#last[entry.slot] = entry.tokens.at(-1) ?? END;
  }

  eraseSlot(slot: number, fromPosition: number): void {
    this.erased.push({ slot, from: fromPosition });
  }

  createSampler(spec: SamplerSpec): SequenceSampler {
    const last = this.#last;
    const script = (spec.grammar as number[] | undefined)?.slice();

    return {
      async sample(slot, banned) {
        let token = script?.length ? (script.shift() as number) : ((last[slot] ?? 0) % 26) + 1;
        while (banned.includes(token)) token = (token % 26) + 1;
        return token;
      },
      accept() {},
      dispose() {},
    };
  }

  tokenBytes(token: number): Uint8Array {
    return token === END ? new Uint8Array() : new TextEncoder().encode(LETTERS[token - 1]);
  }

  isEndOfGeneration(token: number): boolean {
    return token === END;
  }
}
