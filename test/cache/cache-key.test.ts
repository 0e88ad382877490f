import { describe, expect, it } from 'vitest';

import { cacheKey, CacheInputError, canonicalJson } from '../../layers/cache/index.js';
import { FIELD_CASE_BRIEF } from '../helpers/briefs.js';

/** The field-case brief B (cases/README.md), with its own copy of the arrays. */
const brief = { ...FIELD_CASE_BRIEF, features: [...FIELD_CASE_BRIEF.features] };

/** The same object with its keys inserted in reverse order, at every depth. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, inner]) => [key, reverseKeys(inner)]),
  );
}

describe('Function: cacheKey', () => {
  it('gives the namespace, a colon and a sha256 hex digest', () => {
    expect(cacheKey('copy:v1', brief)).toMatch(/^copy:v1:[0-9a-f]{64}$/);
  });

  it('gives one key for brief B and B with its keys in reverse order (case 22)', () => {
    const request = { brief, model: 'adcopy-dev', sampling: { temperature: 0.8, top_p: 0.9 } };

    expect(JSON.stringify(reverseKeys(request))).not.toBe(JSON.stringify(request));
    expect(cacheKey('copy:v1', reverseKeys(request))).toBe(cacheKey('copy:v1', request));
  });

  it('gives different keys for briefs that differ only in a nested field (case 22)', () => {
    const a = { brief, sampling: { temperature: 0.8, stop: ['\n'] } };
    const b = { brief, sampling: { temperature: 0.8, stop: ['\n\n'] } };

    expect(cacheKey('copy:v1', a)).not.toBe(cacheKey('copy:v1', b));
  });

  it.each([
    ['array order', { f: ['a', 'b'] }, { f: ['b', 'a'] }],
    ['a number and its string', { n: 1 }, { n: '1' }],
    ['a comma inside a string and two items', { f: ['a,b'] }, { f: ['a', 'b'] }],
    ['a field moved one level down', { a: { b: 1 }, c: 2 }, { a: { b: 1, c: 2 } }],
    ['null and a missing field', { a: null }, {}],
  ])('gives different keys for %s', (_name, a, b) => {
    expect(cacheKey('copy:v1', a)).not.toBe(cacheKey('copy:v1', b));
  });

  it('gives different keys in different namespaces', () => {
    expect(cacheKey('copy:v1', brief)).not.toBe(cacheKey('copy:v2', brief));
  });

  it.each(['', 'has space', 'x'.repeat(65)])(
    'fails with CacheInputError for namespace %j',
    (namespace) => {
      expect(() => cacheKey(namespace, brief)).toThrow(CacheInputError);
    },
  );
});

describe('Function: canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] })).toBe('{"a":[2,{"c":4,"d":3}],"b":1}');
  });

  it('drops undefined fields as JSON.stringify does and writes dates through toJSON', () => {
    const at = new Date('2026-12-04T10:00:00Z');

    expect(canonicalJson({ a: undefined, at })).toBe('{"at":"2026-12-04T10:00:00.000Z"}');
  });

  it('keeps Chinese text and escapes quotes exactly as JSON does', () => {
    expect(canonicalJson({ t: '好茶"一杯"' })).toBe('{"t":"好茶\\"一杯\\""}');
  });

  it.each([
    ['NaN', { n: Number.NaN }, /\$\.n is NaN/],
    ['Infinity', { n: [Infinity] }, /\$\.n\[0\] is Infinity/],
    ['a bigint', { n: 1n }, /\$\.n is a bigint/],
    ['a function', { f: () => 1 }, /\$\.f is a function/],
    ['undefined in an array', { a: [1, undefined] }, /\$\.a\[1\] is undefined/],
  ])('fails with CacheInputError for %s', (_name, value, message) => {
    expect(() => canonicalJson(value)).toThrow(message);
    expect(() => canonicalJson(value)).toThrow(CacheInputError);
  });

  it('fails on a value that refers back to itself but allows a shared sub-object', () => {
    const shared = { x: 1 };
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;

    expect(canonicalJson({ p: shared, q: shared })).toBe('{"p":{"x":1},"q":{"x":1}}');
    expect(() => canonicalJson(cyclic)).toThrow(/\$\.self refers back to itself/);
  });
});
