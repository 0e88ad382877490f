/**
 * @module
 * The contract between the scheduler and a decoding backend. Nothing here knows about llama.cpp:
 * the scheduler owns slots, the queue and text; a backend owns weights, KV cells and sampling.
 */

/** Sampling parameters of one candidate, already validated. */
export interface SamplingParams {
  /** 0 is greedy. */
  temperature: number;
  topP?: number;
  topK?: number;
  minP?: number;
  repetitionPenalty?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  /**
   * Added to the logits of these tokens (OpenAI's `logit_bias`, -100 to 100); -100 bans a token
   * outright, as that API promises.
   */
  logitBias?: ReadonlyMap<number, number>;
}

/** What a backend needs to build the sampler of one candidate. */
export interface SamplerSpec {
  sampling: SamplingParams;
  /** A grammar the backend compiled (for a JSON schema); opaque to the scheduler. */
  grammar?: unknown;
}

/** The per-candidate sampler a backend hands out; the scheduler disposes it when done. */
export interface SequenceSampler {
  /**
   * Chooses the next token from the logits of `slot` in the last decode.
   * @param bannedTokens tokens that must not be chosen this step (bad words)
   * @param row which of the slot's logit rows, from the first (see {@link DecodeEntry.logitRows})
   */
  sample(slot: number, bannedTokens: readonly number[], row?: number): Promise<number>;

  /** Tells the sampler which token was kept (penalties and grammar state move on). */
  accept(token: number): void;

  /** Frees native resources. */
  dispose(): void;
}

/** One row group of a decode step: a run of tokens of one slot starting at a KV position. */
export interface DecodeEntry {
  slot: number;
  /** KV position of the first token. */
  position: number;
  tokens: readonly number[];
  /** Whether the logits of the last token are needed (to sample). */
  wantLogits: boolean;
  /**
   * With `wantLogits`, how many of the last tokens need logits: more than 1 when draft tokens
   * follow the last sampled one, one row to check each. @default 1
   */
  logitRows?: number;
}

/** A decoding backend: one model, its `slotCount` sequence slots spread over `lanes` contexts. */
export interface DecodeBackend {
  /** Number of sequence slots (KV sequences) in the context. */
  readonly slotCount: number;

  /** KV cells each slot owns: prompt plus generated tokens must fit. */
  readonly slotContextSize: number;

  /** Most tokens one decode step may carry. */
  readonly maxBatchTokens: number;

  /**
   * Independent decode lanes (contexts) that can run at the same time; each slot belongs to one.
   * A step decodes the slots of one lane.
   */
  readonly lanes: number;

  /**
   * True when a sample asked for right after {@link decode}, before it settles, runs after that
   * decode on the same thread and so sees its logits (a one-thread native pool). The scheduler
   * then asks for a step's samples at once. @default false
   */
  readonly samplesQueueBehindDecode?: boolean;

  /** The lane of `slot`. */
  laneOf(slot: number): number;

  /**
   * Whether the first read of a decoded step's logits may move its output rows in place, so
   * that two samples starting together could read each other's row. The scheduler then lets one
   * sample finish before the others start. A backend that does not say is taken to move them.
   */
  firstReadMovesRows?(entries: readonly DecodeEntry[]): boolean;

  /** Runs one forward pass over every entry, all of one lane (one batched decode). */
  decode(entries: readonly DecodeEntry[]): Promise<void>;

  /** Drops KV cells of `slot` from `fromPosition` on, so a new prompt can follow its prefix. */
  eraseSlot(slot: number, fromPosition: number): void;

  /** Creates the sampler of one candidate. */
  createSampler(spec: SamplerSpec): SequenceSampler;

  /** The raw bytes a token stands for (never parsed as special text). */
  tokenBytes(token: number): Uint8Array;

  /** True for end-of-generation tokens (EOS, EOT). */
  isEndOfGeneration(token: number): boolean;

  /** Number of tokens in the vocabulary. */
  readonly vocabularySize: number;
}

/** Why a candidate ended. */
export type FinishReason = 'stop' | 'length' | 'cancelled' | 'deadline' | 'error';

/** The logger narrowed to what library-like engine parts use. */
export interface EngineLogger {
  debug(message: string, ...extra: Array<Record<string, unknown>>): void;
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}
