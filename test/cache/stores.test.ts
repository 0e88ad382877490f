import { setTimeout as sleep } from 'node:timers/promises';

import { describe, expect, it } from 'vitest';

import { CacheInputError, MemoryCacheStore, type JsonValue } from '../../layers/cache/index.js';
import { useStoreKinds } from './store-kinds.js';

const { kinds, openRedisStore } = useStoreKinds();

const copies: JsonValue = {
  variants: [{ text: '冷泡乌龙，0糖更清爽', width: 20, tags: ['zh', 'wechat'] }],
  model: 'adcopy-dev',
  usage: { prompt_tokens: 230, cached: null, ok: true },
};

describe.each(kinds)('Class: %s store', (_kind, makeStore) => {
  describe('Method: get / set / delete', () => {
    it('returns undefined for a key never set', async () => {
      const store = makeStore();

      expect(await store.get('copy:none')).toBeUndefined();
    });

    it('returns an equal value after set, Chinese text and nesting included', async () => {
      const store = makeStore();

      await store.set('copy:a', copies, 60);

      expect(await store.get('copy:a')).toEqual(copies);
    });

    it('returns a copy that the caller can change without changing the cache', async () => {
      const store = makeStore();
      await store.set('copy:b', { variants: ['one'] }, 60);

      const first = await store.get<{ variants: string[] }>('copy:b');
      first?.variants.push('two');

      expect(await store.get('copy:b')).toEqual({ variants: ['one'] });
    });

    it('replaces the value on a second set', async () => {
      const store = makeStore();

      await store.set('copy:c', 'old', 60);
      await store.set('copy:c', 'new', 60);

      expect(await store.get('copy:c')).toBe('new');
    });

    it('forgets a value after delete, and deleting a missing key is fine', async () => {
      const store = makeStore();
      await store.set('copy:d', 1, 60);

      await store.delete('copy:d');
      await store.delete('copy:never');

      expect(await store.get('copy:d')).toBeUndefined();
    });

    it('forgets a value once its time to live has passed', async () => {
      const store = makeStore();
      await store.set('copy:e', 'short', 1);
      await store.set('copy:f', 'long', 60);

      await sleep(1300);

      expect(await store.get('copy:e')).toBeUndefined();
      expect(await store.get('copy:f')).toBe('long');
    });

    it.each([0, -1, 1.5, Number.NaN])(
      'fails with CacheInputError for ttlSeconds %s',
      async (ttl) => {
        const store = makeStore();

        await expect(store.set('copy:g', 'x', ttl)).rejects.toThrow(CacheInputError);
        expect(await store.get('copy:g')).toBeUndefined();
      },
    );

    it('fails with CacheInputError for an undefined value', async () => {
      const store = makeStore();

      await expect(store.set('copy:h', undefined as unknown as JsonValue, 60)).rejects.toThrow(
        /undefined/,
      );
    });
  });

  describe('Method: append / list', () => {
    it('returns an empty list for a missing key', async () => {
      const store = makeStore();

      expect(await store.list('session:none')).toEqual([]);
    });

    it('keeps only the newest maxLength entries, oldest first', async () => {
      const store = makeStore();

      const lengths: number[] = [];
      for (const turn of [1, 2, 3, 4, 5])
        lengths.push(await store.append('session:a', { turn }, 3, 60));

      expect(lengths).toEqual([1, 2, 3, 3, 3]);
      expect(await store.list('session:a')).toEqual([{ turn: 3 }, { turn: 4 }, { turn: 5 }]);
    });

    it('loses no entry when many appends to one list run at once', async () => {
      const store = makeStore();

      await Promise.all(
        Array.from({ length: 40 }, (_, i) => store.append('session:b', i, 100, 60)),
      );

      const items = await store.list<number>('session:b');
      expect([...items].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    });

    it('forgets the list once its time to live has passed', async () => {
      const store = makeStore();
      await store.append('session:c', 'x', 5, 1);

      await sleep(1300);

      expect(await store.list('session:c')).toEqual([]);
    });

    it.each([0, 2.5])('fails with CacheInputError for maxLength %s', async (maxLength) => {
      const store = makeStore();

      await expect(store.append('session:d', 'x', maxLength, 60)).rejects.toThrow(CacheInputError);
      expect(await store.list('session:d')).toEqual([]);
    });
  });
});

describe('Class: MemoryCacheStore', () => {
  it('evicts the least recently used entry when full', async () => {
    const store = new MemoryCacheStore({ maxEntries: 2 });
    await store.set('a', 1, 60);
    await store.set('b', 2, 60);
    await store.get('a');

    await store.set('c', 3, 60);

    expect(await store.get('a')).toBe(1);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('c')).toBe(3);
  });
});

describe('Class: RedisCacheStore', () => {
  it('keeps keys under its prefix', async () => {
    const store = openRedisStore({ keyPrefix: 'prefix-test:' });

    await store.set('copy:x', 'v', 60);

    expect(await store.client.get('prefix-test:copy:x')).toBe('"v"');
  });

  it('fails on an entry that is not JSON instead of returning it', async () => {
    const store = openRedisStore({ keyPrefix: 'bad-json:' });
    await store.client.set('bad-json:copy:y', 'not json{');

    await expect(store.get('copy:y')).rejects.toThrow('cache entry copy:y is not JSON');
  });
});
