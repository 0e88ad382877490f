/**
 * @module
 * A bounded first-come-first-served queue. Pure state: the scheduler is its single owner.
 */

/**
 * FIFO with a fixed capacity; `offer` refuses instead of growing.
 * @example
 * const queue = new BoundedQueue<string>(2);
 * queue.offer('a'); queue.offer('b'); queue.offer('c'); // true, true, false
 */
export class BoundedQueue<T> {
  readonly #items: T[] = [];

  /** @param capacity most items waiting at once */
  constructor(readonly capacity: number) {}

  /** Items waiting. */
  get size(): number {
    return this.#items.length;
  }

  /** Appends `item`; false when the queue is full. */
  offer(item: T): boolean {
    if (this.#items.length >= this.capacity) return false;

    this.#items.push(item);
    return true;
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Removes and returns the oldest item. */
  poll(): T | undefined {
    return this.#items.shift();
  }

  /** A copy of the waiting items, oldest first. */
  toArray(): T[] {
    return [...this.#items];
  }

  /** Removes every item for which `predicate` holds, returning them in order. */
  removeWhere(predicate: (item: T) => boolean): T[] {
    const removed: T[] = [];

    for (let i = this.#items.length - 1; i >= 0; i--) {
      const item = this.#items[i] as T;
      if (predicate(item)) {
        removed.unshift(item);
        this.#items.splice(i, 1);
      }
    }

    return removed;
  }
}
