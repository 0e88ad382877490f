/**
 * @module engine-client/circuit-breaker
 * Stops calling an engine that keeps failing, so the API answers at once with cached or template
 * copy marked degraded instead of making every request wait for the same fault.
 */
import { EventEmitter } from 'node:events';

import { EngineError } from './errors.js';
import type {
  CallOptions,
  Engine,
  EngineRequest,
  EngineResponse,
  EngineStreamEvent,
} from './types.js';

/** closed: calls pass. open: calls fail at once. half_open: one trial call decides. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive engine faults that open the circuit. @default 5 */
  failureThreshold?: number;
  /** How long the circuit stays open before a trial call. @default 30000 */
  cooldownMs?: number;
  /** Clock in ms, replaceable in tests. @default Date.now */
  now?: () => number;
}

/** Payload of the `state` event. */
export interface CircuitStateChange {
  from: CircuitState;
  to: CircuitState;
  /** Consecutive faults counted when the change happened. */
  failures: number;
}

/** One admitted call; report its end once (later reports are ignored). */
export interface CircuitTicket {
  succeed(): void;
  /** Counts `err` against the engine only when {@link isEngineFault} says it is the engine's. */
  fail(err: unknown): void;
  /** The call ended without telling anything about the engine (the consumer left). */
  abandon(): void;
}

/** Reasons that say nothing about the engine's health. */
const NOT_FAULTS = new Set([
  // a busy engine is working: the caller gets a 503 with Retry-After, not degraded copy
  'engine_throttled',
  'circuit_open',
]);

/**
 * Whether an error says the engine is unwell: unreachable, failing, unavailable or out of time.
 * Throttling does not count (the engine is busy, not down), nor do a request the engine rejected
 * as invalid and a caller's abort, since the engine answered correctly.
 */
export function isEngineFault(err: unknown): boolean {
  return err instanceof EngineError && !NOT_FAULTS.has(err.reason);
}

/**
 * A consecutive-failure circuit breaker with a cooldown. Emits `state` ({@link CircuitStateChange})
 * on every change, for logs and metrics.
 * @example
 * const breaker = new CircuitBreaker({ failureThreshold: 5, cooldownMs: 30_000 });
 * breaker.on('state', ({ from, to }) => logger.warn('engine circuit', { from, to }));
 * if (breaker.isOpen()) return degradedCopy(brief);
 * const answer = await breaker.run(() => engine.generate(request, options));
 */
export class CircuitBreaker extends EventEmitter<{ state: [CircuitStateChange] }> {
  private readonly failureThreshold: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;
  private current: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialRunning = false;

  constructor(options: CircuitBreakerOptions = {}) {
    super();
    this.failureThreshold = options.failureThreshold ?? 5;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** The state now; an open circuit whose cooldown has passed reads as half-open. */
  get state(): CircuitState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.cooldownMs) {
      this.moveTo('half_open');
    }
    return this.current;
  }

  /**
   * True while calls would be refused: open and cooling down, or half-open with its one trial
   * call already running. The API checks this to serve degraded copy without trying.
   */
  isOpen(): boolean {
    const state = this.state;
    return state === 'open' || (state === 'half_open' && this.trialRunning);
  }

  /** Seconds until a trial call will be let through; 0 when calls pass now. */
  retryAfterS(): number {
    if (this.state !== 'open') return 0;
    return Math.max(1, Math.ceil((this.openedAt + this.cooldownMs - this.now()) / 1000));
  }

  /**
   * Runs `call` unless the circuit refuses it, and counts how it ended.
   * @throws EngineError 503 `circuit_open` (with `retryAfterS`) when refused
   */
  async run<T>(call: () => Promise<T>): Promise<T> {
    const ticket = this.begin();
    try {
      const result = await call();
      ticket.succeed();
      return result;
    } catch (err) {
      ticket.fail(err);
      throw err;
    }
  }

  /**
   * Admits one call whose end the caller reports itself, for calls that are not a single promise
   * (a stream succeeds at its `done` event).
   * @throws EngineError 503 `circuit_open` (with `retryAfterS`) when refused
   */
  begin(): CircuitTicket {
    if (this.isOpen()) {
      throw new EngineError(503, 'circuit_open', 'engine circuit is open after repeated faults', {
        retryAfterS: this.retryAfterS() || 1,
      });
    }
    const trial = this.current === 'half_open';
    if (trial) this.trialRunning = true;

    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    return {
      succeed: () => settle(() => this.recordSuccess()),
      fail: (err) =>
        settle(() => (isEngineFault(err) ? this.recordFailure() : this.endTrial(trial))),
      abandon: () => settle(() => this.endTrial(trial)),
    };
  }

  /** Counts a successful call: the circuit closes and the failure count restarts. */
  recordSuccess(): void {
    this.trialRunning = false;
    this.failures = 0;
    if (this.current !== 'closed') this.moveTo('closed');
  }

  /** Counts an engine fault: a failed trial, or the threshold-th fault in a row, opens it. */
  recordFailure(): void {
    this.trialRunning = false;
    this.failures++;
    if (this.current === 'half_open' || this.failures >= this.failureThreshold) {
      this.openedAt = this.now();
      if (this.current !== 'open') this.moveTo('open');
    }
  }

  /** A trial that ended without a verdict (aborted, or refused as invalid) lets the next one in. */
  private endTrial(trial: boolean): void {
    if (trial) this.trialRunning = false;
  }

  /** Changes state and tells listeners. */
  private moveTo(to: CircuitState): void {
    const change = { from: this.current, to, failures: this.failures };
    this.current = to;
    this.emit('state', change);
  }
}

/**
 * An {@link Engine} whose calls pass through a breaker. A stream counts as a success once it
 * delivered its `done` event and as a fault if it failed before.
 * @example
 * const engine = withCircuitBreaker(createEngineFromEnv(process.env), breaker);
 */
export function withCircuitBreaker(engine: Engine, breaker: CircuitBreaker): Engine {
  return {
    name: engine.name,
    generate: (request: EngineRequest, options?: CallOptions): Promise<EngineResponse> =>
      breaker.run(() => engine.generate(request, options)),
    stream: (request: EngineRequest, options?: CallOptions) =>
      guardedStream(engine, breaker, request, options),
  };
}

/** The stream of {@link withCircuitBreaker}. */
async function* guardedStream(
  engine: Engine,
  breaker: CircuitBreaker,
  request: EngineRequest,
  options: CallOptions | undefined,
): AsyncGenerator<EngineStreamEvent> {
  const ticket = breaker.begin();
  try {
    for await (const event of engine.stream(request, options)) {
      if (event.type === 'done') ticket.succeed();
      yield event;
    }
  } catch (err) {
    ticket.fail(err);
    throw err;
  } finally {
    // the consumer left before `done`: no verdict on the engine
    ticket.abandon();
  }
}
