/**
 * Cache benchmark: what a lookup costs in process memory and on a real local Redis, and how
 * many loads a burst of identical misses makes.
 *
 * - `get` / `set`: latency of one store call with a five-variant copy answer, one at a time,
 *   after a warm-up (the first calls open the Redis connection).
 * - `hit`: a `ReadThroughCache.getOrLoad` that hits (key, single flight, store read, counters).
 * - `burst_loads`: loads made for 200 concurrent identical misses (1 is right).
 *
 * Writes test/bench/results/cache.json. Run: npm run bench:cache (BENCH_OPS=n calls per figure).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';

import {
  cacheKey,
  MemoryCacheStore,
  ReadThroughCache,
  RedisCacheStore,
  type CacheStore,
  type JsonValue,
} from '../../layers/cache/index.js';
import { startTestRedis } from '../helpers/redis.js';

const RESULT_FILE = resolve('test/bench/results/cache.json');
const OPS = Number(process.env.BENCH_OPS ?? 5000);

/** Five variants with their compliance verdicts, as the API caches them. */
const answer: JsonValue = {
  variants: Array.from({ length: 5 }, (_, i) => ({
    text: `冷泡乌龙，0糖更清爽，冷萃12小时，第${i}版文案，都市白领的下午茶。`,
    width: 60,
    compliance: { ok: true, violations: [] },
  })),
  model: 'adcopy-dev',
  usage: { prompt_tokens: 230, cached_prompt_tokens: 212, completion_tokens: 120 },
};

/** p50 and p99 of a list of microsecond figures. */
function percentiles(samples: number[]): { p50_us: number; p99_us: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Number((sorted[Math.floor(q * (sorted.length - 1))] ?? 0).toFixed(1));
  return { p50_us: at(0.5), p99_us: at(0.99) };
}

/** Times `ops` sequential calls of `call(i)` in microseconds. */
async function time(ops: number, call: (i: number) => Promise<unknown>) {
  const samples: number[] = [];
  for (let i = 0; i < ops; i++) {
    const started = performance.now();
    await call(i);
    samples.push((performance.now() - started) * 1000);
  }
  return percentiles(samples);
}

/** The figures of one store kind. */
async function measure(store: CacheStore) {
  const keys = Array.from({ length: OPS }, (_, i) => cacheKey('bench:v1', { brief: i }));
  await time(200, (i) =>
    store.set(`warm-up:${i}`, answer, 60).then(() => store.get(`warm-up:${i}`)),
  );
  const set = await time(OPS, (i) => store.set(keys[i] as string, answer, 600));
  const get = await time(OPS, (i) => store.get(keys[i] as string));

  const cache = new ReadThroughCache({ store });
  const hit = await time(OPS, (i) =>
    cache.getOrLoad(keys[i] as string, async () => answer, { ttlSeconds: 600 }),
  );

  let loads = 0;
  const load = async () => {
    loads++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return answer;
  };
  const burstKey = cacheKey('bench:v1', { burst: store.kind });
  await Promise.all(
    Array.from({ length: 200 }, () => cache.getOrLoad(burstKey, load, { ttlSeconds: 600 })),
  );

  return { set, get, hit, burst_loads: loads, hit_ratio: cache.stats().hitRatio };
}

const redis = await startTestRedis();
const redisStore = new RedisCacheStore({ url: redis.url, keyPrefix: 'bench:' });
try {
  const result = {
    benchmark: 'cache',
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    ops_per_figure: OPS,
    value_bytes: Buffer.byteLength(JSON.stringify(answer)),
    memory: await measure(new MemoryCacheStore({ maxEntries: OPS * 2 })),
    redis: await measure(redisStore),
  };
  mkdirSync(dirname(RESULT_FILE), { recursive: true });
  writeFileSync(RESULT_FILE, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await redisStore.close();
  await redis.stop();
}
