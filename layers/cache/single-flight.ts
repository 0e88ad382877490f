/**
 * @module cache/single-flight
 * Collapses concurrent identical work into one call (case 24).
 */

/**
 * Runs at most one call per key at a time: callers that arrive while a call for their key is in
 * flight wait for it and get the same result, or the same error. The key is free again as soon as
 * the call settles, so a failed call is never remembered: the next caller tries afresh (case 23).
 * @example
 * const flights = new SingleFlight<EngineResponse>();
 * const answer = await flights.run(key, () => engine.generate(request, options));
 */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** Calls in flight right now. */
  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Joins the call in flight for `key`, or starts `call` when there is none.
   * @returns the result, and whether this caller joined another's call
   */
  async run(key: string, call: () => Promise<T>): Promise<{ value: T; shared: boolean }> {
    const running = this.inFlight.get(key);
    if (running) return { value: await running, shared: true };

    const started = Promise.resolve().then(call);
    this.inFlight.set(key, started);
    try {
      return { value: await started, shared: false };
    } finally {
      this.inFlight.delete(key);
    }
  }
}
