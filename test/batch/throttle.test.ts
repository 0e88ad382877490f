import { getEventListeners } from 'node:events';

import { describe, expect, it } from 'vitest';

import { EngineThrottle } from '../../functions/batch/throttle.js';

describe('Class: EngineThrottle', () => {
  it('halves its limit on a throttle and grows back by one per window of successes', () => {
    const throttle = new EngineThrottle(8);

    throttle.onOverload(0);
    throttle.onOverload(0);
    const lowest = throttle.limit;
    for (let i = 0; i < 2; i += 1) throttle.onSuccess();

    expect(lowest).toBe(2);
    expect(throttle.limit).toBe(3);
  });

  it('lets a waiter in when a slot frees, leaving no abort listener behind', async () => {
    const throttle = new EngineThrottle(1);
    const stop = new AbortController();
    await throttle.acquire(stop.signal);

    const waiting = throttle.acquire(stop.signal);
    const listenersWhileWaiting = getEventListeners(stop.signal, 'abort').length;
    throttle.release();
    await waiting;

    expect(listenersWhileWaiting).toBe(1);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('fails a waiter when its signal aborts', async () => {
    const throttle = new EngineThrottle(1);
    const stop = new AbortController();
    await throttle.acquire();

    const waiting = throttle.acquire(stop.signal);
    stop.abort(new Error('deadline'));

    await expect(waiting).rejects.toThrow('deadline');
  });

  it('fails to build with a concurrency under 1', () => {
    expect(() => new EngineThrottle(0)).toThrow(RangeError);
  });
});
