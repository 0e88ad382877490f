import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  CircuitBreaker,
  EngineError,
  EngineRejectedError,
  HttpEngine,
  withCircuitBreaker,
  type CircuitStateChange,
} from '../../layers/engine-client/index.js';
import { collect, failure } from './collect.js';
import { chunks, json, startFaultServer, type FaultServer } from './fault-server.js';

const emptyAnswer = { id: 'g', model: 'm', generations: [], usage: {}, timings: {} };
const fault = () => new EngineError(502, 'generation_failed', 'engine failed');

/** A breaker on a clock the test moves by hand, with its state changes recorded. */
function breakerAt(options: { failureThreshold?: number; cooldownMs?: number } = {}) {
  let clock = 1_000;
  const changes: string[] = [];
  const breaker = new CircuitBreaker({ ...options, now: () => clock });
  breaker.on('state', ({ from, to }: CircuitStateChange) => changes.push(`${from}->${to}`));
  return { breaker, changes, advance: (ms: number) => (clock += ms) };
}

/** Makes `count` calls that fail with `err`. */
async function failTimes(breaker: CircuitBreaker, count: number, err: unknown = fault()) {
  for (let i = 0; i < count; i++) {
    await breaker.run(() => Promise.reject(err)).catch(() => undefined);
  }
}

describe('Class: CircuitBreaker', () => {
  it('opens after the threshold of engine faults in a row and refuses calls with a 503', async () => {
    const { breaker, changes } = breakerAt({ failureThreshold: 3, cooldownMs: 10_000 });
    await failTimes(breaker, 2);
    expect(breaker.isOpen()).toBe(false);

    await failTimes(breaker, 1);
    let called = false;
    const err = await failure(breaker.run(async () => (called = true)));

    expect(breaker.isOpen()).toBe(true);
    expect(called).toBe(false);
    expect(err).toMatchObject({ status: 503, reason: 'circuit_open', retryAfterS: 10 });
    expect(changes).toEqual(['closed->open']);
  });

  it('restarts the count after a success', async () => {
    const { breaker } = breakerAt({ failureThreshold: 3 });

    await failTimes(breaker, 2);
    await breaker.run(async () => 'ok');
    await failTimes(breaker, 2);

    expect(breaker.state).toBe('closed');
  });

  it('does not count throttling, rejected requests or aborts against the engine', async () => {
    const { breaker } = breakerAt({ failureThreshold: 2 });
    const throttled = new EngineError(503, 'engine_throttled', 'busy', { retryAfterS: 1 });

    await failTimes(breaker, 3, throttled);
    await failTimes(breaker, 3, new EngineRejectedError('prompt too long'));
    await failTimes(breaker, 3, new DOMException('aborted', 'AbortError'));

    expect(breaker.state).toBe('closed');
  });

  it('lets one trial call through after the cooldown and closes when it succeeds', async () => {
    const { breaker, changes, advance } = breakerAt({ failureThreshold: 1, cooldownMs: 5_000 });
    await failTimes(breaker, 1);
    advance(4_000);
    expect(breaker.retryAfterS()).toBe(1);
    expect(breaker.isOpen()).toBe(true);

    advance(1_000);
    let release: (value: string) => void = () => undefined;
    const trial = breaker.run(() => new Promise<string>((resolve) => (release = resolve)));
    const second = await failure(breaker.run(async () => 'second'));
    release('trial ok');

    expect(await trial).toBe('trial ok');
    expect(second).toMatchObject({ reason: 'circuit_open' });
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
  });

  it('opens again at once when the trial call fails', async () => {
    const { breaker, changes, advance } = breakerAt({ failureThreshold: 2, cooldownMs: 5_000 });
    await failTimes(breaker, 2);
    advance(5_000);

    await failTimes(breaker, 1);

    expect(breaker.isOpen()).toBe(true);
    expect(breaker.retryAfterS()).toBe(5);
    expect(changes).toEqual(['closed->open', 'open->half_open', 'half_open->open']);
  });

  it('lets the next trial in when a trial ends without a verdict', async () => {
    const { breaker, advance } = breakerAt({ failureThreshold: 1, cooldownMs: 1_000 });
    await failTimes(breaker, 1);
    advance(1_000);

    await failTimes(breaker, 1, new EngineRejectedError('bad request'));

    expect(breaker.state).toBe('half_open');
    expect(breaker.isOpen()).toBe(false);
  });
});

describe('Function: withCircuitBreaker', () => {
  let server: FaultServer;

  beforeAll(async () => {
    server = await startFaultServer();
  });

  afterAll(async () => {
    await server.close();
  });

  it('stops calling a failing engine, then recovers through a trial call', async () => {
    let clock = 0;
    const breaker = new CircuitBreaker({
      failureThreshold: 2,
      cooldownMs: 1_000,
      now: () => clock,
    });
    const engine = withCircuitBreaker(
      new HttpEngine({ baseUrl: server.url, retry: { maxAttempts: 1 } }),
      breaker,
    );
    server.script(json(500, { error: 'decode failed', error_type: 'generation_failed' }));

    await failure(engine.generate({ prompt: 'tea' }));
    await failure(engine.generate({ prompt: 'tea' }));
    const refused = await failure(engine.generate({ prompt: 'tea' }));
    const callsWhileOpen = server.seen.length;

    clock += 1_000;
    server.script(
      chunks(200, 'text/event-stream', [
        'event: token\ndata: {"index":0,"text":"好"}\n\n',
        `event: done\ndata: ${JSON.stringify(emptyAnswer)}\n\n`,
      ]),
    );
    const events = await collect(engine.stream({ prompt: 'tea' }));

    expect(refused).toMatchObject({ status: 503, reason: 'circuit_open' });
    expect(callsWhileOpen).toBe(2);
    expect(events.map((event) => event.type)).toEqual(['token', 'done']);
    expect(breaker.state).toBe('closed');
  });
});
