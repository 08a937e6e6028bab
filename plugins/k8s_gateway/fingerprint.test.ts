import { describe, expect, it } from 'vitest';
import { fingerprint } from './fingerprint.js';

const same = (a: unknown, b: unknown): boolean => {
  const x = fingerprint(a);
  const y = fingerprint(b);
  return x.fp0 === y.fp0 && x.fp1 === y.fp1;
};

describe('fingerprint', () => {
  const obj = { metadata: { name: 'a', labels: { x: '1', y: '2' } }, spec: { rules: [{ host: 'a.example.com' }] } };

  it('is equal for equal values, whatever the key order', () => {
    expect(same(obj, structuredClone(obj))).toBe(true);
    expect(same(obj, { spec: { rules: [{ host: 'a.example.com' }] }, metadata: { labels: { y: '2', x: '1' }, name: 'a' } })).toBe(true);
  });

  it.each([
    ['a leaf value', { ...obj, spec: { rules: [{ host: 'b.example.com' }] } }],
    ['a label', { ...obj, metadata: { name: 'a', labels: { x: '1', y: '3' } } }],
    ['a key', { ...obj, metadata: { name: 'a', labels: { x: '1', z: '2' } } }],
    ['an added key', { ...obj, status: {} }],
    ['array order', { ...obj, spec: { rules: [{ host: 'a.example.com' }, { host: 'b' }] } }],
  ])('changes with %s', (_what, other) => {
    expect(same(obj, other)).toBe(false);
  });

  it('tells types apart', () => {
    expect(same({ a: 1 }, { a: '1' })).toBe(false);
    expect(same({ a: [] }, { a: {} })).toBe(false);
    expect(same({ a: null }, { a: false })).toBe(false);
    expect(same({ a: ['x', 'y'] }, { a: ['y', 'x'] })).toBe(false);
    expect(same({ a: { b: 'c' } }, { a: { c: 'b' } })).toBe(false);
  });

  it('gives small integers', () => {
    const f = fingerprint(obj);
    for (const v of [f.fp0, f.fp1]) expect(Number.isInteger(v) && v >= 0 && v < 2 ** 30).toBe(true);
  });
});
