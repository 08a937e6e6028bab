import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../types.js';
import { countOf, PackWriter, unpack } from './packed.js';

describe('PackWriter', () => {
  it('keeps objects per kind, in order, with where they were', () => {
    const w = new PackWriter();
    const svc = (n: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: n, namespace: 'ns' }, spec: { x: [1, 2.5, null, true] } });
    const ing: KubeObject = { kind: 'Ingress', metadata: { name: 'i' }, status: { n: Number.NaN } };
    w.add('Service', 1, 0, svc('a'));
    w.add('Ingress', 2, 0, ing);
    w.add('Service', 3, 2, svc('b'));
    const packs = w.finish();
    expect(countOf(packs)).toBe(3);
    expect([...packs.keys()]).toEqual(['Service', 'Ingress']);
    expect(unpack(packs.get('Service')!)).toEqual([
      { doc: 1, item: 0, obj: svc('a') },
      { doc: 3, item: 2, obj: svc('b') },
    ]);
    expect(unpack(packs.get('Ingress')!)).toEqual([{ doc: 2, item: 0, obj: ing }]);
  });

  it('packs many objects smaller than their serialised form', () => {
    const w = new PackWriter();
    for (let i = 0; i < 1000; i++) w.add('Ingress', i + 1, 0, { kind: 'Ingress', metadata: { name: `app-${i}`, namespace: 'default' }, spec: { rules: [{ host: `app-${i}.example.com` }] } });
    const p = w.finish().get('Ingress')!;
    expect(p.count).toBe(1000);
    expect(p.bytes.length).toBeLessThan(1000 * 20);
    expect(unpack(p)[999]!.obj.metadata?.name).toBe('app-999');
  });
});
