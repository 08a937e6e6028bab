import { describe, expect, it } from 'vitest';
import { IdTable } from './id-table.js';

describe('IdTable', () => {
  it('hands out distinct random IDs and finds them again', () => {
    const t = new IdTable<string>();
    const ids = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const id = t.add(`q${i}`, 0);
      expect(id).toBeGreaterThanOrEqual(0);
      expect(id).toBeLessThan(65536);
      ids.add(id);
      expect(t.get(id)).toBe(`q${i}`);
    }
    expect(ids.size).toBe(1000);
    expect(t.size).toBe(1000);
  });

  it('keeps a retired ID out of use until it expires or its late reply came', () => {
    const t = new IdTable<string>();
    const id = t.add('late', 0);
    t.retire(id, 0);
    expect(t.get(id)).toBeUndefined();
    expect(t.size).toBe(0);
    // While retired it is never drawn (65536 draws would hit it often otherwise).
    const drawn = new Set<number>();
    for (let i = 0; i < 30000; i++) {
      const x = t.add('x', 1000);
      drawn.add(x);
      t.delete(x);
    }
    expect(drawn.has(id)).toBe(false);
    expect(t.takeRetired(id)).toBe(true);
    expect(t.takeRetired(id)).toBe(false);
  });

  it('frees retired IDs after ten seconds', () => {
    const t = new IdTable<string>();
    const id = t.add('late', 0);
    t.retire(id, 0);
    t.add('other', 10_001);
    expect(t.takeRetired(id)).toBe(false);
  });
});
