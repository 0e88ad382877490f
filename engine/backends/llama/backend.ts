/**
 * @module
 * The llama.cpp backend: the only place that imports node-llama-cpp. It drives the native context
 * at its lowest level, one `llama_decode` per scheduler step across every slot, instead of one
 * LlamaCompletion per request, so per-token JavaScript overhead stays small.
 */

import { pbkdf2 } from 'node:crypto';
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
export interface NativeContext {
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

/** No logits wanted from an entry. */
const NO_ROWS = new Uint32Array();

/** A chat message as the engine accepts it. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** How to load the model. */
export interface LlamaBackendOptions {
  modelPath: string;
  /** Sequence slots, spread over the lanes. */
  slots: number;
  /** KV cells per slot. */
  contextSize: number;
  /** CPU threads of each lane; `undefined` measures and picks. */
  threads?: number;
  /** Contexts decoding at the same time; `undefined` measures and picks (1 on a GPU). */
  lanes?: number;
  /** Layers to offload to a GPU; `undefined` offloads all when a GPU backend is found. */
  gpuLayers?: number;
  /**
   * Threads of the process's native work pool (libuv's, UV_THREADPOOL_SIZE as the process
   * started with it; Node's default is 4). With 1, each sample queues behind its decode on that
   * one thread, and only one lane can run. @default 4
   */
  poolThreads?: number;
  /** A layout already chosen (by {@link LlamaBackend.measureLayout}): used as it is. */
  layout?: LayoutChoice;
  /** Most tokens in one decode step. @default 512 */
  batchSize?: number;
  logger: EngineLogger;
}

function vocabularySizeOf(model: LlamaModel): number {
  type TokenizerMetadata = { tokenizer?: { ggml?: { tokens?: unknown[] } } };
  const tokens = (model.fileInfo.metadata as unknown as TokenizerMetadata).tokenizer?.ggml?.tokens;
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

/** How the slots are laid out over contexts, and the threads each decodes with. */
export interface Layout {
  /** Contexts that decode at the same time, each on its own thread(s). */
  lanes: number;
  /** Threads of each lane's decode. */
  threads: number;
}

/** What the layout measurement found. */
export interface LayoutChoice extends Layout {
  reason: string;
  /** Decode tokens per second of each candidate, keyed `lanes x threads`. */
  tokensPerSecond: Record<string, number>;
}

/** One context of a lane and the native handle behind it. */
interface Lane {
  context: LlamaContext;
  native: NativeContext;
}

async function createLanes(model: LlamaModel, options: LlamaBackendOptions, layout: Layout,
  gpu: boolean): Promise<Lane[]> {
  const lanes: Lane[] = [];

  for (let lane = 0; lane < layout.lanes; lane++) {
    const sequences = Math.ceil((options.slots - lane) / layout.lanes);
    const context = await model.createContext({
      contextSize: options.contextSize,
      sequences,
      batchSize: options.batchSize ?? 512,
      // Flash attention pays off on GPUs; on CPU it measured no clear gain for small models.
      flashAttention: gpu,
      threads: layout.threads,
    });
    lanes.push({ context, native: (context as unknown as { _ctx: NativeContext })._ctx });
  }

  return lanes;
}

/** Candidate layouts: data-parallel lanes of one thread, or one lane with every core. */
function layoutCandidates(options: LlamaBackendOptions, gpu: boolean): Layout[] {
  const cores = Math.max(1, availableParallelism());
  // Lanes decode at the same time only on threads of their own; a one-thread pool runs one.
  const oneThreadPool = options.poolThreads === 1;
  const laneChoices = options.lanes !== undefined ? [options.lanes]
    : gpu || oneThreadPool ? [1] : [Math.min(cores, options.slots), 1];
  const threadChoices = options.threads !== undefined ? [options.threads] : [1, cores];

  const layouts = laneChoices
    .flatMap((lanes) => threadChoices.map((threads) => ({ lanes, threads })))
    // Lanes already use every core; more threads per lane only oversubscribe them.
    .filter((layout) =>
      layout.lanes === 1 || layout.threads === 1 || options.threads !== undefined);
  const seen = new Set<string>();
  return layouts.filter((layout) => {
    const key = `${layout.lanes}x${layout.threads}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Decode tokens per second of a layout: every slot decodes one token a step, with logits (the
 * output layer is most of a small model's cost), lanes at the same time. Steps run until
 * `budgetMs` has passed (at least 4), so a big model measures as briefly as a tiny one.
 */
async function measureLanes(lanes: Lane[], slots: number, budgetMs: number,
  maxSteps: number): Promise<number> {
  const laneCount = lanes.length;
  const sequencesOf = (lane: number) => Math.ceil((slots - lane) / laneCount);
  const decodeStep = (step: number) => Promise.all(lanes.map(async ({ native }, lane) => {
    native.initBatch(sequencesOf(lane));
    for (let seq = 0; seq < sequencesOf(lane); seq++) {
      native.addToBatch(seq, step, Uint32Array.of(1 + seq), Uint32Array.of(0));
    }
    await native.decodeBatch();
  }));

  await decodeStep(0);
  const startedAt = performance.now();
  let steps = 0;
  while (steps < 4 || (performance.now() - startedAt < budgetMs && steps < maxSteps)) {
    await decodeStep(++steps);
  }
  const seconds = (performance.now() - startedAt) / 1000;

  lanes.forEach(({ native }, lane) => {
    for (let seq = 0; seq < sequencesOf(lane); seq++) {
      native.removeTokenCellsFromSequence(seq, 0, -1);
    }
  });
  return Math.round((steps * slots) / seconds);
}

/**
 * Whether libuv's pool really runs one job at a time: a short job queued behind a long one ends
 * first only when another thread takes it. libuv reads UV_THREADPOOL_SIZE once, when the pool
 * starts, so a value set later would claim an order the pool does not keep.
 *
 * A wrong "yes" would let a sample read logits its decode is still writing, so the answer is yes
 * only when the short job ended last in every one of several tries: on a machine so busy that
 * the second thread waits out a whole long job once, it will not do so every time.
 */
async function poolRunsOneJobAtATime(tries = 4): Promise<boolean> {
  for (let attempt = 0; attempt < tries; attempt++) {
    if (await shortJobEndsFirst()) return false;
  }
  return true;
}

/** Queues a long hashing job, then a short one, and says whether the short one ended first. */
async function shortJobEndsFirst(): Promise<boolean> {
  const finished: string[] = [];
  const job = (name: string, iterations: number) => new Promise<void>((resolve, reject) => {
    pbkdf2('pool probe', 'salt', iterations, 16, 'sha256', (error) => {
      if (error) {
        reject(error);
        return;
      }
      finished.push(name);
      resolve();
    });
  });

  await Promise.all([job('long', 40_000), job('short', 1)]);
  return finished[0] === 'short';
}

/** The native runtime and the model, with every layer on the GPU when one is found. */
async function loadRuntime(options: LlamaBackendOptions) {
  const { logger } = options;
  const llama = await getLlama({
    gpu: 'auto',
    build: 'never',
    logLevel: LlamaLogLevel.warn,
    // The native runtime's own messages go to the app logger under their own tag.
    logger: (level, message) => logger.debug('llama.cpp', { llama_level: level, text: message }),
  });

  const gpu = llama.gpu !== false;
  const gpuLayers = options.gpuLayers ?? (gpu ? 'max' : 0);
  const model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers });
  logger.info('model loaded', {
    model_path: options.modelPath,
    gpu: llama.gpu,
    gpu_layers: model.gpuLayers,
    gpu_reason: gpu
      ? `GPU backend ${llama.gpu} found: offloading ${model.gpuLayers} layers`
      : 'no GPU backend found: running on CPU',
  });

  return { llama, model, gpu };
}

/**
 * One model, its slots spread over one or more contexts ("lanes") that decode at the same time.
 * @example
 * const backend = await LlamaBackend.load({ modelPath, slots: 8, contextSize: 1024, logger });
 * const scheduler = new Scheduler(backend, { queueLimit: 64, logger });
 */
export class LlamaBackend implements DecodeBackend {
  readonly slotCount: number;
  readonly slotContextSize: number;
  readonly maxBatchTokens: number;
  readonly vocabularySize: number;
  readonly lanes: number;
  readonly samplesQueueBehindDecode: boolean;
  readonly tokenBytes: (token: number) => Uint8Array;
  /** How the layout was chosen (measured, or given). */
  readonly layoutChoice: LayoutChoice;

  readonly #llama: Llama;
  readonly #model: LlamaModel;
  readonly #lanes: Lane[];
  readonly #nativeModel: NativeModel;
  readonly #chatWrapper: ChatWrapper | null;
  /** Per slot: the batch index of its first logit row in the last decode, -1 for none. */
  readonly #logitIndex: Int32Array;
  /** Per slot: how many logit rows it has in the last decode. */
  readonly #logitRows: Int32Array;
  readonly #oneToken = new Uint32Array(1);
  readonly #lastRow = new Uint32Array(1);
  readonly #grammars = new Map<string, Promise<LlamaGrammar>>();

  private constructor(llama: Llama, model: LlamaModel, lanes: Lane[], slots: number,
    choice: LayoutChoice, queueSamples: boolean) {
    this.#llama = llama;
    this.#model = model;
    this.#lanes = lanes;
    this.#nativeModel = (model as unknown as { _model: NativeModel })._model;
    this.#chatWrapper = resolveChatWrapper(model);
    this.lanes = lanes.length;
    // libuv's pool is first in, first out: with one thread, a sample queued after a decode runs
    // after it (other lanes' work may come between; it touches other contexts).
    this.samplesQueueBehindDecode = queueSamples;
    this.slotCount = slots;
    this.slotContextSize = (lanes[0] as Lane).context.contextSize;
    this.maxBatchTokens = (lanes[0] as Lane).context.batchSize;
    this.vocabularySize = vocabularySizeOf(model);
    this.layoutChoice = choice;
    this.#logitIndex = new Int32Array(this.slotCount).fill(-1);
    this.#logitRows = new Int32Array(this.slotCount);
    const bytesOf = tokenBytesReader(this.#nativeModel);
    const cache = new Map<number, Uint8Array>();
    this.tokenBytes = (token) => {
      let bytes = cache.get(token);
      if (!bytes) cache.set(token, (bytes = bytesOf(token)));
      return bytes;
    };
  }

  /**
   * Loads the model and picks, by measuring, how to lay the slots over contexts and threads
   * (unless both are given), then logs what it chose and why.
   */
  static async load(options: LlamaBackendOptions): Promise<LlamaBackend> {
    let queueSamples = options.poolThreads === 1;
    if (queueSamples && !(await poolRunsOneJobAtATime())) {
      options.logger.warn('the native pool runs jobs in parallel although UV_THREADPOOL_SIZE ' +
        'is 1 (set after Node started?): each sample waits for its decode');
      queueSamples = false;
    }
    const { llama, model, gpu } = await loadRuntime(options);

    const { lanes, choice } = await LlamaBackend.#chooseLayout(model, options, gpu);
    options.logger.info('layout chosen', {
      lanes: choice.lanes,
      threads: choice.threads,
      reason: choice.reason,
      tokens_per_second: choice.tokensPerSecond,
      slots: options.slots,
      samples_queue_behind_decode: queueSamples,
    });

    return new LlamaBackend(llama, model, lanes, options.slots, choice, queueSamples);
  }

  /** True when node-llama-cpp finds a GPU backend (CUDA, Vulkan, Metal); loads no model. */
  static async findsGpu(): Promise<boolean> {
    const llama = await getLlama({ gpu: 'auto', build: 'never', logLevel: LlamaLogLevel.warn });
    const gpu = llama.gpu !== false;
    await llama.dispose();
    return gpu;
  }

  /**
   * Loads the model only to choose its layout as {@link load} would, then frees everything: a
   * process can then serve with the native pool that the layout wants (see engine/main.ts).
   */
  static async measureLayout(options: LlamaBackendOptions): Promise<LayoutChoice & {
    gpu: boolean }> {
    const { llama, model, gpu } = await loadRuntime(options);

    try {
      const { lanes, choice } = await LlamaBackend.#chooseLayout(model, options, gpu);
      for (const lane of lanes) await lane.context.dispose();
      return { ...choice, gpu };
    } finally {
      await model.dispose();
      await llama.dispose();
    }
  }

  static async #chooseLayout(model: LlamaModel, options: LlamaBackendOptions, gpu: boolean) {
    if (options.layout) {
      return { lanes: await createLanes(model, options, options.layout, gpu),
        choice: options.layout };
    }

    const candidates = layoutCandidates(options, gpu);
    const tokensPerSecond: Record<string, number> = {};

    if (candidates.length === 1) {
      const only = candidates[0] as Layout;
      const lanes = await createLanes(model, options, only, gpu);
      return { lanes, choice: { ...only, reason: 'given by configuration', tokensPerSecond } };
    }

    // Every candidate is measured twice, in turns, and keeps its better figure: a shared
    // machine's noise then hits all of them alike.
    const built = [];
    for (const layout of candidates) {
      built.push({ layout, lanes: await createLanes(model, options, layout, gpu), rate: 0 });
    }
    for (let round = 0; round < 2; round++) {
      for (const candidate of built) {
        const rate = await measureLanes(candidate.lanes, options.slots, 120,
          Math.min(256, options.contextSize - 2));
        candidate.rate = Math.max(candidate.rate, rate);
        tokensPerSecond[`${candidate.layout.lanes}x${candidate.layout.threads}`] = candidate.rate;
      }
    }

    const best = built.reduce((a, b) => (b.rate > a.rate ? b : a));
    for (const candidate of built) {
      if (candidate !== best) for (const lane of candidate.lanes) await lane.context.dispose();
    }

    const reason = `fastest of ${candidates.map((c) => `${c.lanes} lanes x ${c.threads} threads`)
      .join(', ')} at ${options.slots} sequences`;
    return { lanes: best.lanes, choice: { ...best.layout, reason, tokensPerSecond } };
  }

  /** Threads each lane decodes with. */
  get threads(): number {
    return this.layoutChoice.threads;
  }

  laneOf(slot: number): number {
    return slot % this.lanes;
  }

  /**
   * Whether the first read of this step's logits may move its output rows. A context of several
   * sequences splits its batch into micro-batches of consecutive sequence ids (llama.cpp's
   * "split_equal"); when that writes the outputs out of batch order, the first read swaps the
   * rows back, in place and without a lock. One-token entries in rising sequence order (every
   * step that reads no prompt and checks no draft) always come out in batch order, so their rows
   * stay put.
   */
  firstReadMovesRows(entries: readonly DecodeEntry[]): boolean {
    let lastSequence = -1;
    for (const entry of entries) {
      const sequence = this.#sequenceOf(entry.slot);
      if (entry.tokens.length !== 1 || sequence <= lastSequence) return true;
      lastSequence = sequence;
    }
    return false;
  }

  /** The lane's native context and the sequence id of `slot` in it. */
  #locate(slot: number): { native: NativeContext; sequence: number } {
    const lane = this.#lanes[slot % this.lanes] as Lane;
    return { native: lane.native, sequence: this.#sequenceOf(slot) };
  }

  /** The sequence id of `slot` in its lane's context. */
  #sequenceOf(slot: number): number {
    return Math.floor(slot / this.lanes);
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
    const first = entries[0];
    if (!first) return;

    const { native } = this.#locate(first.slot);
    let total = 0;
    for (const entry of entries) total += entry.tokens.length;
    native.initBatch(total);

    // addToBatch copies its arrays at once, so one-token steps reuse the same two arrays.
    for (const entry of entries) {
      const sequence = this.#sequenceOf(entry.slot);
      const tokens = entry.tokens.length === 1
        ? (this.#oneToken.fill(entry.tokens[0] as number), this.#oneToken)
        : Uint32Array.from(entry.tokens);
      const rows = entry.wantLogits ? (entry.logitRows ?? 1) : 0;
      const indexes = native.addToBatch(sequence, entry.position, tokens,
        this.#rowsToKeep(entry.tokens.length, rows));
      // addToBatch answers each row's index in the batch: consecutive tokens, consecutive rows.
      this.#logitIndex[entry.slot] = rows > 0 ? (indexes[0] as number) : -1;
      this.#logitRows[entry.slot] = rows;
    }

    await native.decodeBatch();
  }

  /** Which of an entry's `length` tokens need logits: the last `rows`. */
  #rowsToKeep(length: number, rows: number): Uint32Array {
    if (rows === 0) return NO_ROWS;
    if (rows === 1) return (this.#lastRow.fill(length - 1), this.#lastRow);
    return Uint32Array.from({ length: rows }, (_, row) => length - rows + row);
  }

  eraseSlot(slot: number, fromPosition: number): void {
    const { native, sequence } = this.#locate(slot);
    native.removeTokenCellsFromSequence(sequence, fromPosition, -1);
  }

  isEndOfGeneration(token: number): boolean {
    return this.#nativeModel.isEogToken(token);
  }

  createSampler(spec: SamplerSpec): SequenceSampler {
    return new LlamaSequenceSampler(this, spec);
  }

  /** Frees the context and the model. */
  async close(): Promise<void> {
    for (const lane of this.#lanes) await lane.context.dispose();
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
  sampleNative(slot: number, sampler: NativeSampler, row: number): Promise<number> {
    const index = this.#logitIndex[slot] ?? -1;
    if (index < 0 || row >= (this.#logitRows[slot] ?? 0)) {
      return Promise.reject(new Error(`slot ${slot} has no logit row ${row} to sample`));
    }
    return this.#locate(slot).native.sampleToken(index + row, sampler);
  }
}

/** One candidate's native sampler; re-applies its config only when the banned set changes. */
class LlamaSequenceSampler implements SequenceSampler {
  readonly #backend: LlamaBackend;
  readonly #native: NativeSampler;
  readonly #config: Record<string, unknown>;
  readonly #accepted: number[] = [];
  /** The request's logit bias; -100 is a ban, as OpenAI's API promises. */
  readonly #bias: ReadonlyMap<number, number>;
  #banned: readonly number[] = [];

  constructor(backend: LlamaBackend, spec: SamplerSpec) {
    const { sampling } = spec;
    this.#backend = backend;
    this.#native = backend.newNativeSampler();
    this.#bias = new Map([...sampling.logitBias ?? []]
      .map(([token, bias]) => [token, bias <= -100 ? -Infinity : bias]));
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

  async sample(slot: number, bannedTokens: readonly number[], row = 0): Promise<number> {
    if (bannedTokens.length !== this.#banned.length ||
      bannedTokens.some((token, i) => this.#banned[i] !== token)) {
      this.#banned = bannedTokens;
      this.#apply();
    }

    const token = await this.#backend.sampleNative(slot, this.#native, row);
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
    // Bad words are bans, whatever bias the request gave the same token.
    const bias = new Map(this.#bias);
    for (const token of this.#banned) bias.set(token, -Infinity);
    if (bias.size > 0) {
      config.tokenBiasKeys = Uint32Array.from(bias.keys());
      config.tokenBiasValues = Float32Array.from(bias.values());
    }

    this.#native.applyConfig(config);
  }
}
