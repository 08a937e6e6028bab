import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../types.js';
import { countOf, packedObjects, packedRows, PackWriter } from './packed.js';

const all = () => true;

describe('PackWriter', () => {
  it('keeps objects per kind, in order, with where they were and their keys', () => {
    const w = new PackWriter();
    const svc = (n: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: n, namespace: 'ns' }, spec: { x: [1, 2.5, null, true] } });
    const ing: KubeObject = { kind: 'Ingress', metadata: { name: 'i' }, status: { n: Number.NaN } };
    w.add('Service', 1, 0, 'ns/a', svc('a'));
    w.add('Ingress', 2, 0, 'ü/i', ing);
    w.add('Service', 3, 2, 'ns/b', svc('b'));
    const packs = w.finish();
    expect(countOf(packs)).toBe(3);
    expect([...packs.keys()]).toEqual(['Service', 'Ingress']);
    expect(packedRows(packs.get('Service')!)).toEqual([
      { doc: 1, item: 0, key: 'ns/a' },
      { doc: 3, item: 2, key: 'ns/b' },
    ]);
    expect([...packedObjects(packs.get('Service')!, all)]).toEqual([svc('a'), svc('b')]);
    expect(packedRows(packs.get('Ingress')!)).toEqual([{ doc: 2, item: 0, key: 'ü/i' }]);
    expect([...packedObjects(packs.get('Ingress')!, all)]).toEqual([ing]);
  });

  it('deserialises only the rows asked for, lazily', () => {
    const w = new PackWriter();
    for (let i = 0; i < 5; i++) w.add('Ingress', i + 1, 0, `default/app-${i}`, { kind: 'Ingress', metadata: { name: `app-${i}` } });
    const asked: number[] = [];
    const it = packedObjects(w.finish().get('Ingress')!, (row) => (asked.push(row), row % 2 === 1));
    expect(asked).toEqual([]);
    expect(it.next().value?.metadata?.name).toBe('app-1');
    expect(asked).toEqual([0, 1]);
    expect([...it].map((o) => o.metadata?.name)).toEqual(['app-3']);
  });

  it('packs many objects smaller than their serialised form', () => {
    const w = new PackWriter();
    for (let i = 0; i < 1000; i++) w.add('Ingress', i + 1, 0, `default/app-${i}`, { kind: 'Ingress', metadata: { name: `app-${i}`, namespace: 'default' }, spec: { rules: [{ host: `app-${i}.example.com` }] } });
    const p = w.finish().get('Ingress')!;
    expect(p.count).toBe(1000);
    expect(p.bytes.length).toBeLessThan(1000 * 24);
    expect(packedRows(p)[999]).toEqual({ doc: 1000, item: 0, key: 'default/app-999' });
    expect([...packedObjects(p, (row) => row === 999)][0]!.metadata?.name).toBe('app-999');
  });
});
