import { describe, expect, it } from 'vitest';

import {
  CacheInputError,
  createCacheFromEnv,
  MemoryCacheStore,
  RedisCacheStore,
  SessionStore,
  type SessionTurn,
} from '../../layers/cache/index.js';
import { useStoreKinds } from './store-kinds.js';

const { kinds, redis } = useStoreKinds();

/** A turn with `n` in its text, so order is easy to check. */
const turn = (n: number, feedback?: string): SessionTurn => ({
  at: `2026-12-04T10:00:${String(n).padStart(2, '0')}Z`,
  variants: [`冷泡乌龙 第${n}版`],
  ...(feedback ? { feedback } : {}),
});

describe.each(kinds)('Class: SessionStore over %s', (_kind, makeStore) => {
  it('returns the turns of a session oldest first, feedback included', async () => {
    const sessions = new SessionStore({ store: makeStore() });

    await sessions.append('s-1', turn(1));
    await sessions.append('s-1', turn(2, '太正式了'));

    expect(await sessions.history('s-1')).toEqual([turn(1), turn(2, '太正式了')]);
  });

  it('keeps only the newest maxTurns turns after thirty rewrites (case 15)', async () => {
    const sessions = new SessionStore({ store: makeStore(), maxTurns: 10 });

    for (let n = 1; n <= 30; n++) await sessions.append('s-2', turn(n, 'another angle'));

    const history = await sessions.history('s-2');
    expect(history).toHaveLength(10);
    expect(history[0]).toEqual(turn(21, 'another angle'));
    expect(history.at(-1)).toEqual(turn(30, 'another angle'));
  });

  it('keeps sessions apart and forgets one on clear', async () => {
    const sessions = new SessionStore({ store: makeStore() });
    await sessions.append('s-3', turn(1));
    await sessions.append('s-4', turn(2));

    await sessions.clear('s-3');

    expect(await sessions.history('s-3')).toEqual([]);
    expect(await sessions.history('s-4')).toEqual([turn(2)]);
  });

  it.each(['', 'a b', '../x', 'a:b', 'x'.repeat(129)])(
    'fails with CacheInputError for session id %j',
    async (id) => {
      const sessions = new SessionStore({ store: makeStore() });

      await expect(sessions.append(id, turn(1))).rejects.toThrow(CacheInputError);
      await expect(sessions.history(id)).rejects.toThrow(/session id must match/);
    },
  );
});

describe('Function: createCacheFromEnv', () => {
  it('gives a memory store when REDIS_URL is not set', async () => {
    const store = createCacheFromEnv({ CACHE_MAX_ENTRIES: '10' });

    expect(store).toBeInstanceOf(MemoryCacheStore);
    await store.close();
  });

  it('gives a working Redis store when REDIS_URL is set', async () => {
    const store = createCacheFromEnv({ REDIS_URL: redis().url });

    await store.set('env:check', { ok: true }, 60);

    expect(store).toBeInstanceOf(RedisCacheStore);
    expect(await store.get('env:check')).toEqual({ ok: true });
    await store.close();
  });

  it.each([
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, /REDIS_URL must start with redis:\/\//],
    [{ CACHE_MAX_ENTRIES: '0' }, /CACHE_MAX_ENTRIES must be a whole number >= 1, got "0"/],
    [{ CACHE_MAX_ENTRIES: 'lots' }, /CACHE_MAX_ENTRIES/],
  ])('fails for %j, naming the variable', (env, message) => {
    expect(() => createCacheFromEnv(env)).toThrow(message);
  });
});
