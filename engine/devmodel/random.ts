/**
 * Seeded random numbers for the dev model's weights. Only integer arithmetic and one multiply per
 * value, so the same seed gives the same bits on every machine and Node version.
 *
 * @module
 */

/** FNV-1a hash of a string, mixed with a seed; names a tensor's own random stream. */
export function streamSeed(seed: number, name: string): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;

  for (const byte of Buffer.from(name, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }

  return hash;
}

/**
 * A mulberry32 generator of uniform floats in [-1, 1). Its 2^32 period is far beyond the largest
 * tensor of the 1B preset (about 12 million values).
 */
export function uniformStream(seed: number): () => number {
  let state = seed >>> 0;

  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    const unit = ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
    return unit * 2 - 1;
  };
}
