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
  /** Set by the `oneThread` option: decodes and samples run one after another, in call order. */
  readonly samplesQueueBehindDecode: boolean;
  readonly steps: DecodeEntry[][] = [];
  /** Samples asked for while a decode was still running. */
  samplesAskedDuringDecode = 0;
  /** Samples that started while a step's first sample was still running. */
  samplesBesideFirst = 0;
  /** The steps (indexes into {@link steps}) where a sample started beside the first. */
  readonly stepsSampledSideBySide = new Set<number>();
  /** Set by the `rowsMove` option: which steps' rows the first read may move. */
  readonly firstReadMovesRows?: (entries: readonly DecodeEntry[]) => boolean;
  readonly erased: Array<{ slot: number; from: number }> = [];
  /** Milliseconds each decode takes. */
  delayMs = 0;
  /** When set, the decode of this step number (0-based) throws. */
  failAtStep: number | undefined;
  /** Per slot: the tokens whose logits the last decode gave, one row each. */
  readonly #rows: number[][];
  /** The one thread of a `oneThread` backend: the work queued on it last. */
  #thread: Promise<unknown> = Promise.resolve();
  #decoding = 0;
  #samplesRunning = 0;
  #stepSampled = true;

  constructor(readonly slotCount: number,
    options: {
      contextSize?: number;
      batch?: number;
      lanes?: number;
      oneThread?: boolean;
      rowsMove?: (entries: readonly DecodeEntry[]) => boolean;
    } = {}) {
    this.lanes = options.lanes ?? 1;
    if (options.rowsMove) this.firstReadMovesRows = options.rowsMove;
    this.samplesQueueBehindDecode = options.oneThread ?? false;
    this.slotContextSize = options.contextSize ?? 256;
    this.maxBatchTokens = options.batch ?? 64;
    this.#rows = Array.from({ length: slotCount }, () => [END]);
  }

  laneOf(slot: number): number {
    return slot % this.lanes;
  }

  async decode(entries: readonly DecodeEntry[]): Promise<void> {
    this.#decoding++;
    try {
      await this.#onThread(() => this.#decode(entries));
    } finally {
      this.#decoding--;
    }
  }

  async #decode(entries: readonly DecodeEntry[]): Promise<void> {
    const step = this.steps.length;
    this.#stepSampled = false;
    this.steps.push(entries.map((entry) => ({ ...entry, tokens: [...entry.tokens] })));
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    else await Promise.resolve();
    if (this.failAtStep === step) throw new Error('the device fell over');

    for (const entry of entries) {
      this.#rows[entry.slot] = entry.tokens.slice(-(entry.logitRows ?? 1));
    }
  }

  eraseSlot(slot: number, fromPosition: number): void {
    this.erased.push({ slot, from: fromPosition });
  }

  createSampler(spec: SamplerSpec): SequenceSampler {
    const rows = this.#rows;
    const script = (spec.grammar as number[] | undefined)?.slice();

    return {
      sample: (slot, banned, row = 0) => {
        if (this.#decoding > 0) this.samplesAskedDuringDecode++;

        return this.#onThread(async () => {
          if (!this.#stepSampled && this.#samplesRunning > 0) {
            this.samplesBesideFirst++;
            this.stepsSampledSideBySide.add(this.steps.length - 1);
          }
          this.#samplesRunning++;
          // A native sample takes time on a pool thread: samples asked together overlap.
          if (!this.samplesQueueBehindDecode) await new Promise((resolve) => setImmediate(resolve));
          this.#samplesRunning--;
          this.#stepSampled = true;

          const input = rows[slot]?.[row];
          if (input === undefined) throw new Error(`slot ${slot} has no logit row ${row}`);
          let token = script?.length ? (script.shift() as number) : (input % 26) + 1;
          while (banned.includes(token)) token = (token % 26) + 1;
          return token;
        });
      },
      accept() {},
      dispose() {},
    };
  }

  /** Runs `work` after all work queued before it when the backend has one thread. */
  #onThread<T>(work: () => Promise<T>): Promise<T> {
    if (!this.samplesQueueBehindDecode) return work();

    const run = this.#thread.then(work, work);
    this.#thread = run.catch(() => undefined);
    return run;
  }

  tokenBytes(token: number): Uint8Array {
    return token === END ? new Uint8Array() : new TextEncoder().encode(LETTERS[token - 1]);
  }

  isEndOfGeneration(token: number): boolean {
    return token === END;
  }
}
