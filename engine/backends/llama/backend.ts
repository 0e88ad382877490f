/**
 * @module
 * The llama.cpp backend: the only place that imports node-llama-cpp. It drives the native context
 * at its lowest level, one `llama_decode` per scheduler step across every slot, instead of one
 * LlamaCompletion per request, so per-token JavaScript overhead stays small.
 */

import { basename } from 'node:path';
import { availableParallelism } from 'node:os';

import {
  getLlama,
  LlamaGrammarEvaluationState,
  LlamaLogLevel,
  resolveChatWrapper,
} from 'node-llama-cpp';
import type {
  ChatHistoryItem,
  ChatWrapper,
  Llama,
  LlamaContext,
  LlamaGrammar,
  LlamaModel,
} from 'node-llama-cpp';

import type {
  DecodeBackend,
  DecodeEntry,
  EngineLogger,
  SamplerSpec,
  SequenceSampler,
} from '../../scheduler/types.js';
import { tokenBytesReader } from './token-bytes.js';
import type { NativeVocabulary } from './token-bytes.js';

/** The parts of node-llama-cpp's native context this backend calls (not in its public types). */
interface NativeContext {
  initBatch(size: number): void;
  addToBatch(slot: number, position: number, tokens: Uint32Array, logits: Uint32Array): Uint32Array;
  decodeBatch(): Promise<void>;
  sampleToken(logitIndex: number, sampler: NativeSampler): Promise<number>;
  removeTokenCellsFromSequence(slot: number, start: number, end: number): boolean;
  setThreads(threads: number): void;
}

interface NativeSampler {
  applyConfig(config: Record<string, unknown>): void;
  dispose(): void;
}

interface NativeModel extends NativeVocabulary {
  isEogToken(token: number): boolean;
}

/** A chat message as the engine accepts it. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** How to load the model. */
export interface LlamaBackendOptions {
  modelPath: string;
  /** Sequence slots in the one context. */
  slots: number;
  /** KV cells per slot. */
  contextSize: number;
  /** CPU threads; `undefined` measures and picks. */
  threads?: number;
  /** Layers to offload to a GPU; `undefined` offloads all when a GPU backend is found. */
  gpuLayers?: number;
  /** Most tokens in one decode step. @default 512 */
  batchSize?: number;
  logger: EngineLogger;
}

/** What the thread measurement found. */
export interface ThreadChoice {
  threads: number;
  reason: string;
  tokensPerSecond: Record<number, number>;
}

function vocabularySizeOf(model: LlamaModel): number {
  const tokens = (model.fileInfo.metadata as unknown as { tokenizer?: { ggml?: { tokens?: unknown[] } } })
    .tokenizer?.ggml?.tokens;
  if (!tokens?.length) throw new Error('the model has no tokenizer.ggml.tokens metadata');
  return tokens.length;
}

function toHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((message) => {
    if (message.role === 'system') return { type: 'system', text: message.content };
    if (message.role === 'user') return { type: 'user', text: message.content };
    return { type: 'model', response: [message.content] };
  });

  // An open model turn at the end asks the template for the generation prompt.
  history.push({ type: 'model', response: [] });
  return history;
}

/**
 * One model in one context with `slots` sequence slots.
 * @example
 * const backend = await LlamaBackend.load({ modelPath, slots: 8, contextSize: 1024, logger });
 * const scheduler = new Scheduler(backend, { queueLimit: 64, logger });
 */
export class LlamaBackend implements DecodeBackend {
  readonly slotCount: number;
  readonly slotContextSize: number;
  readonly maxBatchTokens: number;
  readonly vocabularySize: number;
  readonly tokenBytes: (token: number) => Uint8Array;

  readonly #llama: Llama;
  readonly #model: LlamaModel;
  readonly #context: LlamaContext;
  readonly #native: NativeContext;
  readonly #nativeModel: NativeModel;
  readonly #chatWrapper: ChatWrapper | null;
  readonly #logitIndex: Int32Array;
  readonly #grammars = new Map<string, Promise<LlamaGrammar>>();
  #threads: number;

  private constructor(llama: Llama, model: LlamaModel, context: LlamaContext, threads: number) {
    this.#llama = llama;
    this.#model = model;
    this.#context = context;
    this.#native = (context as unknown as { _ctx: NativeContext })._ctx;
    this.#nativeModel = (model as unknown as { _model: NativeModel })._model;
    this.#chatWrapper = resolveChatWrapper(model);
    this.slotCount = context.totalSequences;
    this.slotContextSize = context.contextSize;
    this.maxBatchTokens = context.batchSize;
    this.vocabularySize = vocabularySizeOf(model);
    this.#logitIndex = new Int32Array(this.slotCount).fill(-1);
    const bytesOf = tokenBytesReader(this.#nativeModel);
    const cache = new Map<number, Uint8Array>();
    this.tokenBytes = (token) => {
      let bytes = cache.get(token);
      if (!bytes) cache.set(token, (bytes = bytesOf(token)));
      return bytes;
    };
    this.#threads = threads;
  }

  /** Loads the model and context, and picks a thread count by measuring when none is given. */
  static async load(options: LlamaBackendOptions): Promise<LlamaBackend> {
    const { logger } = options;
    const llama = await getLlama({
      gpu: 'auto',
      build: 'never',
      logLevel: LlamaLogLevel.warn,
      // The native runtime's own messages go to the app logger under their own tag.
      logger: (level, message) => logger.debug('llama.cpp', { llama_level: level, text: message }),
    });

    const gpuLayers = options.gpuLayers ?? (llama.gpu === false ? 0 : 'max');
    const model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers });
    const context = await model.createContext({
      contextSize: options.contextSize,
      sequences: options.slots,
      batchSize: options.batchSize ?? 512,
      flashAttention: process.env.FA === '1',
      threads: options.threads ?? 1,
    });

    logger.info('model loaded', {
      model_path: options.modelPath,
      gpu: llama.gpu,
      gpu_layers: model.gpuLayers,
      gpu_reason: llama.gpu === false
        ? 'no GPU backend found: running on CPU'
        : `GPU backend ${llama.gpu} found: offloading ${model.gpuLayers} layers`,
      slots: options.slots,
      context_per_slot: context.contextSize,
    });

    const backend = new LlamaBackend(llama, model, context, options.threads ?? 1);
    if (options.threads === undefined) {
      const choice = await backend.chooseThreads();
      logger.info('threads chosen by measuring', {
        threads: choice.threads,
        reason: choice.reason,
        tokens_per_second: choice.tokensPerSecond,
      });
    }

    return backend;
  }

  /** Threads the context decodes with. */
  get threads(): number {
    return this.#threads;
  }

  /** Layers on the GPU (0 on CPU). */
  get gpuLayers(): number {
    return this.#model.gpuLayers;
  }

  /** The model's name from its metadata, or its file name. */
  get modelName(): string {
    const name = this.#model.fileInfo.metadata.general?.name;
    return typeof name === 'string' && name ? name : basename(this.#model.filename ?? 'model');
  }

  /**
   * Measures decode speed with 1 thread and with every core, a full batch of single tokens a
   * step, and keeps the faster: on small machines extra threads spin against the event loop.
   */
  async chooseThreads(): Promise<ThreadChoice> {
    const cores = Math.max(1, availableParallelism());
    const candidates = [...new Set([1, Math.max(1, Math.floor(cores / 2)), cores])];
    const tokensPerSecond: Record<number, number> = {};
    const steps = 6;

    for (const threads of candidates) {
      this.#native.setThreads(threads);
      await this.#decodeWarmBatch(1);

      const startedAt = performance.now();
      await this.#decodeWarmBatch(steps);
      const seconds = (performance.now() - startedAt) / 1000;
      tokensPerSecond[threads] = Math.round((steps * this.slotCount) / seconds);
    }

    for (let slot = 0; slot < this.slotCount; slot++) this.eraseSlot(slot, 0);

    const best = candidates.reduce((a, b) =>
      (tokensPerSecond[b] ?? 0) > (tokensPerSecond[a] ?? 0) ? b : a);
    this.#native.setThreads(best);
    this.#threads = best;

    return {
      threads: best,
      reason: `fastest of ${candidates.join(', ')} threads at ${this.slotCount} sequences`,
      tokensPerSecond,
    };
  }

  /** Tokenises raw text; special-token text in it stays text. Adds BOS when the model wants it. */
  tokenizePrompt(text: string): number[] {
    const tokens = Array.from(this.#model.tokenize(text, false));
    const bos = this.#model.tokens.bos;
    const wantsBos = this.#model.tokens.shouldPrependBosToken;

    return wantsBos && bos !== null && tokens[0] !== bos ? [bos, ...tokens] : tokens;
  }

  /** Renders chat messages with the model's own template; message contents stay plain text. */
  tokenizeMessages(messages: readonly ChatMessage[]): number[] {
    if (!this.#chatWrapper) {
      return this.tokenizePrompt(messages.map((message) => message.content).join('\n'));
    }

    const state = this.#chatWrapper.generateContextState({ chatHistory: toHistory(messages) });
    return Array.from(state.contextText.tokenize(this.#model.tokenizer));
  }

  /**
   * Compiles a JSON schema into a grammar (cached by its text).
   * @throws when node-llama-cpp cannot express the schema
   */
  async compileJsonSchema(schema: object): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let grammar = this.#grammars.get(key);

    if (!grammar) {
      grammar = this.#llama.createGrammarForJsonSchema(schema as never) as Promise<LlamaGrammar>;
      grammar.catch(() => this.#grammars.delete(key));
      this.#grammars.set(key, grammar);
    }

    return grammar;
  }

  async decode(entries: readonly DecodeEntry[]): Promise<void> {
    const total = entries.reduce((sum, entry) => sum + entry.tokens.length, 0);
    this.#native.initBatch(total);

    for (const entry of entries) {
      const logits = entry.wantLogits ? Uint32Array.of(entry.tokens.length - 1) : new Uint32Array();
      const indexes = this.#native.addToBatch(entry.slot, entry.position,
        Uint32Array.from(entry.tokens), logits);
      this.#logitIndex[entry.slot] = entry.wantLogits ? (indexes[0] as number) : -1;
    }

    await this.#native.decodeBatch();
  }

  eraseSlot(slot: number, fromPosition: number): void {
    this.#native.removeTokenCellsFromSequence(slot, fromPosition, -1);
  }

  isEndOfGeneration(token: number): boolean {
    return this.#nativeModel.isEogToken(token);
  }

  createSampler(spec: SamplerSpec): SequenceSampler {
    return new LlamaSequenceSampler(this, spec);
  }

  /** Frees the context and the model. */
  async close(): Promise<void> {
    await this.#context.dispose();
    await this.#model.dispose();
  }

  /** @internal */
  newNativeSampler(): NativeSampler {
    const bindings = (this.#llama as unknown as {
      _bindings: { AddonSampler: new (model: unknown) => NativeSampler };
    })._bindings;
    return new bindings.AddonSampler(this.#nativeModel);
  }

  /** @internal */
  newGrammarState(grammar: LlamaGrammar): unknown {
    const state = new LlamaGrammarEvaluationState({ model: this.#model, grammar });
    return (state as unknown as { _state: unknown })._state;
  }

  /** @internal */
  sampleNative(slot: number, sampler: NativeSampler): Promise<number> {
    const index = this.#logitIndex[slot] ?? -1;
    if (index < 0) return Promise.reject(new Error(`slot ${slot} has no logits to sample`));
    return this.#native.sampleToken(index, sampler);
  }

  async #decodeWarmBatch(steps: number): Promise<void> {
    for (let step = 0; step < steps; step++) {
      this.#native.initBatch(this.slotCount);
      for (let slot = 0; slot < this.slotCount; slot++) {
        this.#native.addToBatch(slot, step, Uint32Array.of(1 + slot), new Uint32Array());
      }
      await this.#native.decodeBatch();
    }
    for (let slot = 0; slot < this.slotCount; slot++) this.eraseSlot(slot, 0);
  }
}

/** One candidate's native sampler; re-applies its config only when the banned set changes. */
class LlamaSequenceSampler implements SequenceSampler {
  readonly #backend: LlamaBackend;
  readonly #native: NativeSampler;
  readonly #config: Record<string, unknown>;
  readonly #accepted: number[] = [];
  #banned: readonly number[] = [];

  constructor(backend: LlamaBackend, spec: SamplerSpec) {
    const { sampling } = spec;
    this.#backend = backend;
    this.#native = backend.newNativeSampler();
    this.#config = {
      temperature: sampling.temperature,
      ...(sampling.topK !== undefined && { topK: sampling.topK }),
      ...(sampling.topP !== undefined && { topP: sampling.topP }),
      ...(sampling.minP !== undefined && { minP: sampling.minP }),
      ...(sampling.seed !== undefined && { seed: sampling.seed }),
      ...((sampling.repetitionPenalty !== undefined || sampling.presencePenalty !== undefined ||
        sampling.frequencyPenalty !== undefined) && {
        repeatPenalty: sampling.repetitionPenalty ?? 1,
        repeatPenaltyPresencePenalty: sampling.presencePenalty ?? 0,
        repeatPenaltyFrequencyPenalty: sampling.frequencyPenalty ?? 0,
        repeatPenaltyMaxTokens: 1024,
      }),
      ...(spec.grammar !== undefined && {
        grammarEvaluationState: backend.newGrammarState(spec.grammar as LlamaGrammar),
      }),
    };
    this.#apply();
  }

  async sample(slot: number, bannedTokens: readonly number[]): Promise<number> {
    if (bannedTokens.length !== this.#banned.length ||
      bannedTokens.some((token, i) => this.#banned[i] !== token)) {
      this.#banned = bannedTokens;
      this.#apply();
    }

    const token = await this.#backend.sampleNative(slot, this.#native);
    if (token < 0) throw new Error('the sampler found no token to choose');
    return token;
  }

  accept(token: number): void {
    // The native sampler already moved its penalty and grammar state when it chose the token.
    this.#accepted.push(token);
  }

  dispose(): void {
    this.#native.dispose();
  }

  #apply(): void {
    const config: Record<string, unknown> = { ...this.#config };

    if ('repeatPenalty' in config) config.repeatPenaltyTokens = Uint32Array.from(this.#accepted);
    if (this.#banned.length > 0) {
      config.tokenBiasKeys = Uint32Array.from(this.#banned);
      config.tokenBiasValues = new Float32Array(this.#banned.length).fill(-Infinity);
    }

    this.#native.applyConfig(config);
  }
}
