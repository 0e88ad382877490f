/**
 * @module
 * Concurrency towards the engine that backs off when the engine says it is full: the limit halves
 * on a throttle and grows by one per window of successes (additive increase, multiplicative
 * decrease), and every caller waits out the engine's `Retry-After`.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Bounds concurrent engine calls and pauses them all while the engine asks for a pause.
 *
 * @example
 * await throttle.acquire(signal);
 * try { await throttle.waitOutPause(signal); ... } finally { throttle.release(); }
 */
export class EngineThrottle {
  private limitNow: number;
  private inFlight = 0;
  private successes = 0;
  private pausedUntil = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly maxConcurrency: number) {
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
      throw new RangeError(`concurrency must be an integer of at least 1; got ${maxConcurrency}`);
    }
    this.limitNow = maxConcurrency;
  }

  /** The concurrency allowed right now. */
  get limit(): number {
    return this.limitNow;
  }

  /** Waits for a free slot; rejects with the signal's reason if it aborts first. */
  async acquire(signal?: AbortSignal): Promise<void> {
    while (this.inFlight >= this.limitNow) {
      signal?.throwIfAborted();
      await this.nextWakeUp(signal);
    }
    signal?.throwIfAborted();
    this.inFlight += 1;
  }

  /** Frees a slot taken by `acquire`. */
  release(): void {
    this.inFlight -= 1;
    this.wakeOne();
  }

  /** Waits while the engine asked every caller to pause. */
  async waitOutPause(signal?: AbortSignal): Promise<void> {
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) await sleep(wait, undefined, signal === undefined ? {} : { signal });
  }

  /** The engine answered: after a window of successes, allow one more call. */
  onSuccess(): void {
    this.successes += 1;
    if (this.successes < this.limitNow || this.limitNow >= this.maxConcurrency) return;

    this.successes = 0;
    this.limitNow += 1;
    this.wakeOne();
  }

  /** The engine is full: halve the concurrency and pause everyone for its hint. */
  onOverload(retryAfterS = 1): void {
    this.limitNow = Math.max(1, Math.floor(this.limitNow / 2));
    this.successes = 0;
    this.pause(retryAfterS * 1000);
  }

  /** Pauses every caller for at least this long (an engine fault's back-off). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  /** Resolves when a slot may be free or the signal aborts; leaves no listener behind. */
  private nextWakeUp(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const onAbort = () => {
        this.waiters.splice(this.waiters.indexOf(wake), 1);
        resolve();
      };
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.waiters.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private wakeOne(): void {
    if (this.inFlight < this.limitNow) this.waiters.shift()?.();
  }
}
