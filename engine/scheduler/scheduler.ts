/**
 * @module
 * The in-flight batching scheduler. It owns the slots, the bounded queue and the decode loop, and
 * knows nothing about llama.cpp: every model operation goes through a {@link DecodeBackend}.
 *
 * Contract: `submit`, `drain` and `close` may be called at any time from the event loop; only the
 * loop itself touches slots and the backend, so there are no locks. A request waits in the queue
 * until a slot is free; each step then decodes one token for every generating slot (and, with
 * drafting on, the draft tokens to check after it) and a chunk of prompt for slots still
 * prefilling, in one batched decode.
 */

import type { BadWordsGuard } from './bad-words.js';
import { lookupDraft } from './prompt-lookup.js';
import { BoundedQueue } from './queue.js';
import { TextStream } from './text-stream.js';
import type {
  DecodeBackend,
  DecodeEntry,
  EngineLogger,
  FinishReason,
  SamplingParams,
  SequenceSampler,
} from './types.js';

/** A validated generation request as the scheduler takes it. */
export interface GenerationRequest {
  promptTokens: readonly number[];
  maxNewTokens: number;
  /** Candidates to generate, each in its own slot. */
  n: number;
  sampling: SamplingParams;
  stop: readonly string[];
  /** Keep generating past end-of-generation tokens (benchmarks). @default false */
  ignoreEos?: boolean;
  /** Phrases that can never be generated. */
  badWords?: BadWordsGuard;
  /** A grammar the backend compiled from the request's JSON schema. */
  grammar?: unknown;
  /** The request fails with finish reason `deadline` after this many milliseconds. */
  deadlineMs?: number;
  /** Aborting cancels the request (client disconnect). */
  signal?: AbortSignal;
  /** Called with each piece of text as soon as it is safe to show. */
  onText?: (index: number, text: string) => void;
}

/** One finished candidate. */
export interface Generation {
  index: number;
  text: string;
  finishReason: FinishReason;
  completionTokens: number;
}

/** The outcome of a request. */
export interface GenerationResult {
  generations: Generation[];
  promptTokens: number;
  /** Prompt tokens of candidate 0 served from a slot's KV cache instead of evaluated. */
  cachedPromptTokens: number;
  timings: { queueMs: number; ttftMs: number; totalMs: number };
}

/** Receives figures for metrics; every method is optional. */
export interface SchedulerObserver {
  onAdmitted?(queueMs: number, promptTokens: number, cachedTokens: number): void;
  onFirstToken?(ttftMs: number): void;
  onToken?(interTokenMs: number): void;
  onFinished?(reason: FinishReason): void;
  onStep?(tokens: number, stepMs: number): void;
  /** A candidate's draft was checked: `accepted` of its `drafted` tokens were kept. */
  onDraftChecked?(drafted: number, accepted: number): void;
}

/** Scheduler settings. */
export interface SchedulerOptions {
  /** Most requests waiting for a slot; more are refused with {@link QueueFullError}. */
  queueLimit: number;
  /**
   * Most draft tokens (prompt lookup) decoded after a sampled token, while a lane generates for
   * at most {@link DRAFT_MAX_STREAMS} candidates. 0 turns drafting off. @default 0
   */
  draftTokens?: number;
  logger: EngineLogger;
  observer?: SchedulerObserver;
}

/** The queue is full; the caller should retry later. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
}

/** The scheduler is draining or closed and admits nothing new. */
export class DrainingError extends Error {
  override readonly name = 'DrainingError';
}

/** A decode step failed; every candidate that was in it fails with this. */
export class GenerationFailedError extends Error {
  override readonly name = 'GenerationFailedError';
}

interface RequestState {
  request: GenerationRequest;
  enqueuedAt: number;
  admittedAt?: number;
  firstTokenAt?: number;
  candidates: Candidate[];
  /** Candidates not yet given a slot. */
  waiting: number;
  cachedPromptTokens: number;
  ended?: 'cancelled' | 'deadline';
  resolve(result: GenerationResult): void;
  reject(error: Error): void;
  settled: boolean;
  /** Undo the abort listener and deadline timer once settled. */
  cleanups: Array<() => void>;
}

interface Candidate {
  owner: RequestState;
  index: number;
  slot: number;
  /** Tokens still to evaluate: prompt remainder while prefilling, then the last sampled token. */
  feed: number[];
  /** KV position of `feed[0]`. */
  position: number;
  /** Draft tokens decoded after `feed` in the step in flight, to be checked by sampling. */
  draft: readonly number[];
  sampler?: SequenceSampler;
  text: TextStream;
  generated: number[];
  lastTokenAt: number;
  finishReason?: FinishReason;
}

interface Slot {
  /** Tokens whose KV cells this slot holds, position by position. */
  cached: number[];
  candidate: Candidate | null;
  /** When the slot was last given a candidate; ties go to the least recently used slot. */
  lastUsed: number;
}

/**
 * Drafts are decoded only while a lane generates for at most this many candidates: under more
 * load a step already fills the machine, and rejected drafts would take room from real tokens.
 */
export const DRAFT_MAX_STREAMS = 2;

/** The draft of a candidate that has none: one shared array, not a new one per step. */
const NO_DRAFT: readonly number[] = Object.freeze([]);

function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const most = Math.min(a.length, b.length);
  let length = 0;
  while (length < most && a[length] === b[length]) length++;
  return length;
}

function seedFor(sampling: SamplingParams, index: number): number {
  // Each candidate gets its own stream; a request seed makes the whole set repeatable.
  return sampling.seed === undefined
    ? Math.floor(Math.random() * 0xffffffff)
    : (sampling.seed + index) >>> 0;
}

/**
 * Slots, queue and the decode loop over one backend.
 * @example
 * const scheduler = new Scheduler(backend, { queueLimit: 64, logger });
 * const result = await scheduler.submit({ promptTokens, maxNewTokens: 32, n: 1,
 *   sampling: { temperature: 0 }, stop: [] });
 */
export class Scheduler {
  readonly #backend: DecodeBackend;
  readonly #queue: BoundedQueue<RequestState>;
  readonly #slots: Slot[];
  readonly #logger: EngineLogger;
  readonly #observer: SchedulerObserver;
  readonly #draftTokens: number;
  #waiters: Array<() => void> = [];
  /** Lanes with a decode in flight: their slots are touched only by their own loop then. */
  readonly #stepping: boolean[];
  #admissions = 0;
  #draining = false;
  #closed = false;
  #loops: Promise<void>[];

  /**
   * @param backend the model to decode with
   * @param options queue limit, logger and metrics observer
   */
  constructor(backend: DecodeBackend, options: SchedulerOptions) {
    this.#backend = backend;
    this.#queue = new BoundedQueue(options.queueLimit);
    this.#logger = options.logger;
    this.#observer = options.observer ?? {};
    this.#draftTokens = options.draftTokens ?? 0;
    this.#slots = Array.from({ length: backend.slotCount }, () => ({ cached: [], candidate: null,
      lastUsed: 0 }));
    this.#stepping = new Array(backend.lanes).fill(false);
    this.#loops = Array.from({ length: backend.lanes }, (_, lane) => this.#run(lane));
  }

  /** Requests waiting for a slot. */
  get queueDepth(): number {
    return this.#queue.size;
  }

  /** Slots generating or prefilling now. */
  get busySlots(): number {
    return this.#slots.filter((slot) => slot.candidate !== null).length;
  }

  /** Number of slots. */
  get slotCount(): number {
    return this.#slots.length;
  }

  /** True once draining started: nothing new is admitted. */
  get draining(): boolean {
    return this.#draining;
  }

  /**
   * Queues a request and resolves when all its candidates have finished.
   * @throws {QueueFullError} synchronously when the queue is full
   * @throws {DrainingError} synchronously while draining
   */
  submit(request: GenerationRequest): Promise<GenerationResult> {
    if (this.#draining || this.#closed) throw new DrainingError('the engine is draining');

    let resolve!: (result: GenerationResult) => void;
    let reject!: (error: Error) => void;
    const done = new Promise<GenerationResult>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });

    const state: RequestState = {
      request,
      enqueuedAt: performance.now(),
      candidates: [],
      waiting: request.n,
      cachedPromptTokens: 0,
      resolve,
      reject,
      settled: false,
      cleanups: [],
    };

    if (!this.#queue.offer(state)) {
      throw new QueueFullError(`the queue is full (${this.#queue.capacity} requests waiting)`);
    }

    this.#watch(state);
    this.#poke();

    return done;
  }

  /**
   * Stops admitting new requests and waits until running and queued ones finish, at most
   * `graceMs`; whatever is left then is cancelled.
   */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true;

    const deadline = performance.now() + graceMs;
    while (this.#hasWork() && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    for (const state of this.#allRequests()) this.#end(state, 'cancelled');
    this.#poke();
  }

  /** Cancels everything and stops the loop. */
  async close(): Promise<void> {
    this.#draining = true;
    for (const state of this.#allRequests()) this.#end(state, 'cancelled');
    this.#closed = true;
    this.#poke();
    await Promise.all(this.#loops);
  }

  #watch(state: RequestState): void {
    const { signal, deadlineMs } = state.request;

    if (signal) {
      const onAbort = () => this.#end(state, 'cancelled');
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        state.cleanups.push(() => signal.removeEventListener('abort', onAbort));
      }
    }

    if (deadlineMs !== undefined) {
      const timer = setTimeout(() => this.#end(state, 'deadline'), deadlineMs);
      timer.unref();
      state.cleanups.push(() => clearTimeout(timer));
    }
  }

  /** Marks a request as ended early; the loop frees its slots at the next step. */
  #end(state: RequestState, reason: 'cancelled' | 'deadline'): void {
    if (state.settled || state.ended) return;

    state.ended = reason;
    this.#poke();
  }

  #allRequests(): RequestState[] {
    const states = new Set<RequestState>(this.#queue.toArray());
    for (const slot of this.#slots) if (slot.candidate) states.add(slot.candidate.owner);
    return [...states];
  }

  #hasWork(): boolean {
    return this.#queue.size > 0 || this.busySlots > 0;
  }

  #poke(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #busyIn(lane: number): number {
    let busy = 0;
    for (let index = 0; index < this.#slots.length; index++) {
      if (this.#slots[index]?.candidate && this.#backend.laneOf(index) === lane) busy++;
    }
    return busy;
  }

  /**
   * The decode loop of one lane. Lanes step at the same time (each backend lane decodes on its
   * own thread); admission and reaping are shared, which is safe since all loops run on the one
   * event loop thread.
   */
  async #run(lane: number): Promise<void> {
    while (!this.#closed || this.#busyIn(lane) > 0) {
      this.#reapEnded();
      this.#admit();

      if (this.#busyIn(lane) === 0) {
        if (this.#closed) break;
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
        continue;
      }

      await this.#step(lane);
    }
  }

  /** Frees the slots of cancelled or expired requests and drops them from the queue. */
  #reapEnded(): void {
    this.#slots.forEach((slot, index) => {
      const candidate = slot.candidate;
      if (!candidate || this.#stepping[this.#backend.laneOf(index)]) return;

      if (candidate.owner.ended) this.#finish(candidate, candidate.owner.ended);
      else if (candidate.finishReason) this.#detach(candidate);
    });

    for (const state of this.#queue.removeWhere((queued) => queued.ended !== undefined)) {
      this.#settleIfDone(state, true);
    }
  }

  /** Gives free slots to waiting candidates, first come first served, by longest cached prefix. */
  #admit(): void {
    let head = this.#queue.peek();
    let admitted = false;

    while (head) {
      const slotIndex = this.#pickSlot(head.request.promptTokens);
      if (slotIndex < 0) {
        this.#logger.debug('no free slot; request waits', { queue_depth: this.#queue.size });
        break;
      }

      this.#start(head, slotIndex);
      admitted = true;

      if ((head.waiting === 0 || head.settled) && this.#queue.peek() === head) this.#queue.poll();
      head = this.#queue.peek();
    }

    // Lanes that were idle have work now.
    if (admitted) this.#poke();
  }

  #pickSlot(prompt: readonly number[]): number {
    let best = -1;
    let bestShared = -1;

    this.#slots.forEach((slot, index) => {
      if (slot.candidate || this.#stepping[this.#backend.laneOf(index)]) return;

      // Longest shared prefix wins; on a tie, the least recently used slot gives up its cache.
      const shared = commonPrefixLength(slot.cached, prompt);
      const older = best >= 0 && slot.lastUsed < (this.#slots[best] as Slot).lastUsed;
      if (shared > bestShared || (shared === bestShared && older)) {
        best = index;
        bestShared = shared;
      }
    });

    return best;
  }

  #start(state: RequestState, slotIndex: number): void {
    const { request } = state;
    const slot = this.#slots[slotIndex] as Slot;
    const index = request.n - state.waiting;
    state.waiting--;

    // At least the last prompt token is evaluated again: its logits pick the first new token.
    const reused = Math.min(commonPrefixLength(slot.cached, request.promptTokens),
      request.promptTokens.length - 1);
    this.#backend.eraseSlot(slotIndex, reused);
    slot.cached.length = reused;

    const now = performance.now();
    const candidate: Candidate = {
      owner: state,
      index,
      slot: slotIndex,
      feed: request.promptTokens.slice(reused),
      position: reused,
      draft: NO_DRAFT,
      text: new TextStream(request.stop),
      generated: [],
      lastTokenAt: now,
    };

    try {
      candidate.sampler = this.#backend.createSampler({
        sampling: { ...request.sampling, seed: seedFor(request.sampling, index) },
        grammar: request.grammar,
      });
    } catch (error) {
      state.candidates.push(candidate);
      candidate.finishReason = 'error';
      this.#failRequest(state, error as Error);
      return;
    }

    slot.candidate = candidate;
    slot.lastUsed = ++this.#admissions;
    state.candidates.push(candidate);

    if (index === 0) {
      state.admittedAt = now;
      state.cachedPromptTokens = reused;
    }
    this.#observer.onAdmitted?.(now - state.enqueuedAt, request.promptTokens.length, reused);
  }

  /** One batched decode: generation-phase tokens first, then prompt chunks in the room left. */
  #formBatch(lane: number): DecodeEntry[] {
    const entries: DecodeEntry[] = [];
    let room = this.#backend.maxBatchTokens;
    const drafting = this.#draftTokens > 0 && this.#generatingIn(lane) <= DRAFT_MAX_STREAMS;

    // Two passes over the lane's slots: generating candidates, then prefilling ones.
    for (const generating of [true, false]) {
      for (let index = 0; index < this.#slots.length && room > 0; index++) {
        const candidate = this.#slots[index]?.candidate;
        if (!candidate || this.#backend.laneOf(index) !== lane ||
          (candidate.generated.length > 0) !== generating) continue;

        const draft = drafting && generating ? this.#draftFor(candidate, room - 1) : NO_DRAFT;
        candidate.draft = draft;
        const feed = draft.length > 0 ? [...candidate.feed, ...draft] : candidate.feed;
        const tokens = feed.length <= room ? feed : feed.slice(0, room);
        room -= tokens.length;
        entries.push({
          slot: candidate.slot,
          position: candidate.position,
          tokens,
          wantLogits: tokens.length === feed.length,
          ...(draft.length > 0 && { logitRows: draft.length + 1 }),
        });
      }
    }

    return entries;
  }

  /** Candidates of a lane that are past their prompt. */
  #generatingIn(lane: number): number {
    let generating = 0;
    this.#slots.forEach((slot, index) => {
      if (slot.candidate?.generated.length && this.#backend.laneOf(index) === lane) generating++;
    });
    return generating;
  }

  /** Draft tokens for a generating candidate, within its token budget, its cells and `room`. */
  #draftFor(candidate: Candidate, room: number): readonly number[] {
    const { request } = candidate.owner;
    const cached = (this.#slots[candidate.slot] as Slot).cached.length;
    // Each draft may become a generated token, and takes a cell; the context check in
    // #keepToken then sees the same room it would have seen without drafts.
    const most = Math.min(this.#draftTokens, room,
      request.maxNewTokens - candidate.generated.length - 1,
      this.#backend.slotContextSize - cached - 3);
    return most > 0 ? lookupDraft(request.promptTokens, candidate.generated, most) : NO_DRAFT;
  }

  async #step(lane: number): Promise<void> {
    this.#stepping[lane] = true;
    try {
      await this.#decodeAndSample(lane);
    } finally {
      this.#stepping[lane] = false;
    }

    // Candidates that ended while their lane was busy leave their slots now.
    this.#slots.forEach((slot, index) => {
      if (slot.candidate?.finishReason && this.#backend.laneOf(index) === lane) {
        this.#detach(slot.candidate);
      }
    });
  }

  async #decodeAndSample(lane: number): Promise<void> {
    const entries = this.#formBatch(lane);
    const startedAt = performance.now();
    const sampling = entries.filter((entry) => entry.wantLogits);

    const decoded = this.#backend.decode(entries);
    // Where samples queue behind the decode on its thread, asking for them now saves a hand-off
    // to this thread and back; the banned tokens depend only on tokens already kept.
    const early = this.#backend.samplesQueueBehindDecode
      ? sampling.map((entry) => this.#askSample(entry.slot)) : undefined;

    try {
      await decoded;
    } catch (error) {
      // Samples already queued read no valid logits; their samplers and the slots are left alone
      // until they have run.
      if (early) await Promise.all(early);
      this.#failInFlight(entries, error as Error);
      return;
    }

    this.#advanceFeeds(entries);
    const outcomes = early ? await Promise.all(early) : await this.#sampleStep(entries, sampling);

    sampling.forEach((entry, i) => {
      const outcome = outcomes[i];
      const candidate = this.#slots[entry.slot]?.candidate;
      if (!candidate || candidate.finishReason || outcome === undefined) return;

      if (outcome instanceof Error) this.#failRequest(candidate.owner, outcome);
      else this.#keepToken(candidate, outcome);
    });
    if (this.#draftTokens > 0) await this.#checkDrafts(sampling, outcomes);

    const batchTokens = entries.reduce((sum, entry) => sum + entry.tokens.length, 0);
    this.#observer.onStep?.(batchTokens, performance.now() - startedAt);
  }

  /**
   * Samples a decoded step. Where the backend says the first read may move output rows (see
   * {@link DecodeBackend.firstReadMovesRows}), one slot samples first, alone, then the others at
   * once; otherwise all start together.
   */
  async #sampleStep(entries: readonly DecodeEntry[], sampling: readonly DecodeEntry[]):
    Promise<Array<number | Error | undefined>> {
    const ask = (entry: DecodeEntry) => this.#askSample(entry.slot);
    if (!(this.#backend.firstReadMovesRows?.(entries) ?? true)) {
      return Promise.all(sampling.map(ask));
    }

    const outcomes: Array<number | Error | undefined> = [];
    let next = 0;
    const allUnasked = () => outcomes.every((outcome) => outcome === undefined);

    // A slot whose candidate has finished asks nothing of the native side: keep going alone
    // until one sample has really read the logits.
    while (next < sampling.length && allUnasked()) {
      outcomes.push(await ask(sampling[next] as DecodeEntry));
      next++;
    }
    const rest = sampling.slice(next).map(ask);
    return [...outcomes, ...(await Promise.all(rest))];
  }

  /**
   * Checks the drafts of a step. A draft token is kept only while the token sampled at the row
   * before it is that very token: exactly what decoding without drafts would have written, since
   * that row's logits saw the same tokens. The first token that differs is kept instead, and the
   * cells of the drafts after it are erased. Candidates check side by side, the rows of one in
   * order: its sampler (seed, penalties, grammar) moves on with each token it chooses.
   */
  async #checkDrafts(sampling: readonly DecodeEntry[],
    firstTokens: ReadonlyArray<number | Error | undefined>): Promise<void> {
    const checks = sampling.map(async (entry, i) => {
      const candidate = this.#slots[entry.slot]?.candidate;
      if (!candidate || candidate.draft.length === 0) return;

      const first = firstTokens[i];
      const accepted = await this.#acceptDraft(candidate,
        typeof first === 'number' ? first : undefined);
      this.#observer.onDraftChecked?.(candidate.draft.length, accepted);
      this.#eraseRejected(candidate, candidate.draft.length - accepted);
      candidate.draft = NO_DRAFT;
    });
    await Promise.all(checks);
  }

  /** Samples the rows after the first while they confirm the draft; answers how many did. */
  async #acceptDraft(candidate: Candidate, first: number | undefined): Promise<number> {
    const { draft } = candidate;
    let accepted = 0;
    let token = first;

    while (token !== undefined && token === draft[accepted] && !candidate.finishReason) {
      accepted++;
      const outcome = await this.#askSample(candidate.slot, accepted);
      if (outcome === undefined) break;
      if (outcome instanceof Error) {
        this.#failRequest(candidate.owner, outcome);
        break;
      }
      this.#keepToken(candidate, outcome);
      token = outcome;
    }

    return accepted;
  }

  /** Forgets the KV cells of the last `rejected` tokens a candidate's step decoded. */
  #eraseRejected(candidate: Candidate, rejected: number): void {
    if (rejected <= 0) return;

    candidate.position -= rejected;
    (this.#slots[candidate.slot] as Slot).cached.length = candidate.position;
    this.#backend.eraseSlot(candidate.slot, candidate.position);
  }

  /** Records what the decode put into each slot's KV cells. */
  #advanceFeeds(entries: readonly DecodeEntry[]): void {
    for (const entry of entries) {
      const slot = this.#slots[entry.slot] as Slot;
      const candidate = slot.candidate as Candidate;

      slot.cached.push(...entry.tokens);
      candidate.feed = entry.tokens === candidate.feed ? []
        : candidate.feed.slice(entry.tokens.length);
      candidate.position += entry.tokens.length;
    }
  }

  /** The next token of a slot's candidate, or the sampler's error; never rejects. */
  async #askSample(slotIndex: number, row = 0): Promise<number | Error | undefined> {
    const candidate = this.#slots[slotIndex]?.candidate;
    if (!candidate?.sampler || candidate.finishReason) return undefined;

    const banned = candidate.owner.request.badWords?.bannedNext(candidate.generated) ?? [];

    try {
      return await candidate.sampler.sample(slotIndex, banned, row);
    } catch (error) {
      return error as Error;
    }
  }

  #keepToken(candidate: Candidate, token: number): void {
    const { request } = candidate.owner;
    const now = performance.now();

    if (!request.ignoreEos && this.#backend.isEndOfGeneration(token)) {
      this.#finish(candidate, 'stop');
      return;
    }

    candidate.sampler?.accept(token);
    candidate.generated.push(token);

    if (candidate.generated.length === 1) {
      const state = candidate.owner;
      if (state.firstTokenAt === undefined) {
        state.firstTokenAt = now;
        this.#observer.onFirstToken?.(now - state.enqueuedAt);
      }
    } else {
      this.#observer.onToken?.(now - candidate.lastTokenAt);
    }
    candidate.lastTokenAt = now;

    const step = candidate.text.push(this.#backend.tokenBytes(token));
    if (step.text) request.onText?.(candidate.index, step.text);

    if (step.stopped) {
      this.#finish(candidate, 'stop');
      return;
    }

    const slot = this.#slots[candidate.slot] as Slot;
    if (candidate.generated.length >= request.maxNewTokens) {
      this.#finish(candidate, 'length');
    } else if (slot.cached.length + 1 >= this.#backend.slotContextSize) {
      // The context is full; the prompt check leaves room for max_new_tokens, so this is rare.
      this.#finish(candidate, 'length');
    } else {
      candidate.feed = [token];
    }
  }

  /** Ends a candidate, frees its slot (its KV cells stay for prefix reuse) and settles. */
  #finish(candidate: Candidate, reason: FinishReason): void {
    if (candidate.finishReason) return;

    candidate.finishReason = reason;
    const rest = reason === 'stop' ? '' : candidate.text.finish();
    if (rest && reason === 'length') candidate.owner.request.onText?.(candidate.index, rest);

    this.#detach(candidate);

    this.#observer.onFinished?.(reason);
    this.#settleIfDone(candidate.owner, false);
  }

  #settleIfDone(state: RequestState, dropWaiting: boolean): void {
    if (state.settled) return;

    if (dropWaiting && state.waiting > 0) {
      const reason = state.ended ?? 'cancelled';
      for (let index = state.request.n - state.waiting; index < state.request.n; index++) {
        state.candidates.push({
          owner: state, index, slot: -1, feed: [], position: 0, draft: NO_DRAFT,
          text: new TextStream([]),
          generated: [], lastTokenAt: 0, finishReason: reason,
        });
      }
      state.waiting = 0;
    }

    if (state.waiting > 0) return;
    if (state.candidates.some((candidate) => !candidate.finishReason)) {
      if (!state.ended) return;
      for (const candidate of state.candidates) {
        if (!candidate.finishReason) this.#finish(candidate, state.ended);
      }
      return;
    }

    state.settled = true;
    for (const cleanup of state.cleanups) cleanup();
    state.resolve(this.#resultOf(state));
  }

  #resultOf(state: RequestState): GenerationResult {
    const now = performance.now();
    const generations = [...state.candidates]
      .sort((a, b) => a.index - b.index)
      .map((candidate) => ({
        index: candidate.index,
        text: candidate.text.text,
        finishReason: candidate.finishReason as FinishReason,
        completionTokens: candidate.generated.length,
      }));

    return {
      generations,
      promptTokens: state.request.promptTokens.length,
      cachedPromptTokens: state.cachedPromptTokens,
      timings: {
        queueMs: (state.admittedAt ?? now) - state.enqueuedAt,
        ttftMs: (state.firstTokenAt ?? now) - state.enqueuedAt,
        totalMs: now - state.enqueuedAt,
      },
    };
  }

  #failRequest(state: RequestState, error: Error): void {
    if (state.settled) return;

    state.settled = true;
    for (const cleanup of state.cleanups) cleanup();
    for (const candidate of state.candidates) {
      if (candidate.finishReason) continue;
      candidate.finishReason = 'error';
      this.#detach(candidate);
    }
    this.#queue.removeWhere((queued) => queued === state);
    this.#observer.onFinished?.('error');
    state.reject(new GenerationFailedError(error.message, { cause: error }));
  }

  /**
   * Frees a finished candidate's slot, unless its lane is mid-step: that lane's loop frees it
   * after the step. A failed candidate's KV cells are unknown, so they are never reused.
   */
  #detach(candidate: Candidate): void {
    const slot = this.#slots[candidate.slot];
    const attached = slot?.candidate === candidate;
    // A sampler of a lane mid-step may be sampling on another thread right now.
    if (attached && this.#stepping[this.#backend.laneOf(candidate.slot)]) return;

    candidate.sampler?.dispose();
    candidate.sampler = undefined;
    if (!slot || !attached) return;

    slot.candidate = null;
    if (candidate.finishReason === 'error') this.#forgetSlot(candidate.slot);
    this.#poke();
  }

  #failInFlight(entries: readonly DecodeEntry[], error: Error): void {
    this.#logger.error('decode step failed; failing its requests', { error: error.message });

    for (const entry of entries) {
      const candidate = this.#slots[entry.slot]?.candidate;
      if (candidate) this.#failRequest(candidate.owner, error);
      this.#forgetSlot(entry.slot);
    }
  }

  #forgetSlot(slotIndex: number): void {
    const slot = this.#slots[slotIndex] as Slot;
    slot.cached = [];
    try {
      this.#backend.eraseSlot(slotIndex, 0);
    } catch (error) {
      this.#logger.warn('could not clear a slot', { slot: slotIndex, error: String(error) });
    }
  }
}
