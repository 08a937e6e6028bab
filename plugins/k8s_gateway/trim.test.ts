import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { FIXTURES, joinContextOf } from '../../test/k8s-gateway.js';
import { extractorFor } from './extract/index.js';
import { classify } from './sources/classify.js';
import { trimObject } from './trim.js';
import type { ExtractOptions, KubeObject, ObjectKind } from './types.js';

const OPTS: ExtractOptions = { nodeAddressType: 'InternalIP', gardenerClass: 'garden' };

function fixtureObjects(): [ObjectKind, KubeObject][] {
  const out: [ObjectKind, KubeObject][] = [];
  for (const f of readdirSync(FIXTURES).filter((n) => n.endsWith('.yaml'))) {
    for (const doc of loadAll(readFileSync(path.join(FIXTURES, f), 'utf8'), { schema: CORE_SCHEMA })) {
      const obj = doc as KubeObject;
      const kind = obj && typeof obj === 'object' ? classify(obj) : undefined;
      if (kind !== undefined) out.push([kind, obj]);
    }
  }
  return out;
}

describe('trimObject', () => {
  it('drops what no extractor reads', () => {
    const t = trimObject('Ingress', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: 'a',
        namespace: 'b',
        uid: 'x',
        managedFields: [{ manager: 'kubectl' }],
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"huge":true}', 'external-dns.alpha.kubernetes.io/ttl': '30' },
      } as KubeObject['metadata'],
      spec: { ingressClassName: 'nginx', rules: [{ host: 'a.example.com', http: { paths: [{ path: '/' }] } }], tls: [{ hosts: ['a.example.com'] }] },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.1', ports: [{ port: 80 }] }] } },
    });
    expect(t).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'a', namespace: 'b', annotations: { 'external-dns.alpha.kubernetes.io/ttl': '30' } },
      spec: { ingressClassName: 'nginx', rules: [{ host: 'a.example.com' }] },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } },
    });
  });

  it('keeps only the addresses, the ready condition and the service-name label of an EndpointSlice', () => {
    const t = trimObject('EndpointSlice', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'web-abc',
        namespace: 'shop',
        labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', app: 'web', tier: 'frontend' },
        annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2026-11-21T10:00:00Z' },
        ownerReferences: [{ kind: 'Service', name: 'web' }],
      } as KubeObject['metadata'],
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.5'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'n1', targetRef: { kind: 'Pod', name: 'web-1' }, zone: 'a' }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    expect(t).toEqual({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abc', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.5'], conditions: { ready: true } }],
    });
  });

  it('keeps a badly shaped field as it is, for the extractor to report', () => {
    const t = trimObject('DNSEndpoint', { kind: 'DNSEndpoint', metadata: { name: 'x' }, spec: { endpoints: 'oops' } });
    expect(t.spec).toEqual({ endpoints: 'oops' });
  });

  it('every extractor gives the same result on trimmed objects (all test fixtures)', () => {
    const all = fixtureObjects();
    expect(all.length).toBeGreaterThan(50);
    const trimmed = all.map(([k, o]): [ObjectKind, KubeObject] => [k, trimObject(k, o)]);
    const full = joinContextOf(all);
    const cut = joinContextOf(trimmed);
    for (let i = 0; i < all.length; i++) {
      const [kind, obj] = all[i]!;
      const extract = extractorFor(kind);
      if (extract === undefined) continue;
      expect(extract(trimmed[i]![1], cut, OPTS), `${kind} ${obj.metadata?.namespace}/${obj.metadata?.name}`).toEqual(extract(obj, full, OPTS));
    }
  });
});
