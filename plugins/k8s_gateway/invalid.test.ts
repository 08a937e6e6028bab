/**
 * Invalid names, targets and TTLs in objects are skipped and counted; they never crash the
 * plugin and never take the object's good names or targets (or anyone else's) out of DNS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QType, Rcode } from '../../src/wire/constants.js';
import { check, fixture, invalidCount, soa, startGateway, type StartedGateway, table, upsertYaml } from '../../test/k8s-gateway.js';

const SOA = soa('example.com.');

describe('invalid names and targets', () => {
  let g: StartedGateway;
  const before = new Map<string, number>();
  const counted = [
    ['Ingress', 'invalid_name'],
    ['Ingress', 'invalid_target'],
    ['Ingress', 'invalid_ttl'],
    ['Service', 'invalid_target'],
    ['DNSEndpoint', 'invalid_name'],
    ['DNSEndpoint', 'invalid_target'],
    ['DNSEndpoint', 'invalid_ttl'],
  ] as const;
  beforeAll(async () => {
    for (const [kind, reason] of counted) before.set(`${kind}/${reason}`, await invalidCount(kind, reason));
    g = await startGateway(`k8s_gateway example.com {
      manifests ${fixture('invalid.yaml')}
      resources Ingress Service DNSEndpoint
    }`);
  });
  afterAll(() => g.stop());

  table(
    () => g,
    [
      // The good host of an Ingress with bad hosts and a bad address answers with the good address.
      { id: 'V0', qname: 'good-host.example.com.', qtype: QType.A, answer: ['good-host.example.com. 60 IN A 192.0.2.60'], ns: [] },
      { id: 'V1', qname: 'my_host.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      { id: 'V2', qname: '*my.host.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      { id: 'V3', qname: 'host.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      { id: 'V4', qname: `${'a'.repeat(63)}.example.com.`, qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      // Only an invalid address: nothing to publish.
      { id: 'V5', qname: 'bad-ip.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      // A Service with bad externalIPs next to good ones (and no fallback to its status).
      { id: 'V6', qname: 'mixed.ns1.example.com.', qtype: QType.A, answer: ['mixed.ns1.example.com. 60 IN A 192.0.2.61'] },
      { id: 'V7', qname: 'mixed.ns1.example.com.', qtype: QType.AAAA, answer: ['mixed.ns1.example.com. 60 IN AAAA 2001:db8::61'] },
      // Malformed shapes: no names, no crash.
      { id: 'V8', qname: 'weird.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      { id: 'V9', qname: 'weird.ns1.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      // A DNSEndpoint keeps its good target; the bad TTL falls back to the plugin ttl.
      { id: 'V10', qname: 'ep.example.com.', qtype: QType.A, answer: ['ep.example.com. 60 IN A 192.0.2.63'] },
      // A bad TTL annotation is ignored, the object is not.
      { id: 'V11', qname: 'bad-ttl.example.com.', qtype: QType.A, answer: ['bad-ttl.example.com. 60 IN A 192.0.2.66'] },
    ],
  );

  it('counts what it skipped in exdns_invalid_objects_total', async () => {
    const delta = async (kind: string, reason: string): Promise<number> =>
      (await invalidCount(kind, reason)) - (before.get(`${kind}/${reason}`) ?? 0);
    // my_host, the 64-character label, *my.host, foo..example.com.
    expect(await delta('Ingress', 'invalid_name')).toBeGreaterThanOrEqual(4);
    // 999.1.1.1 twice.
    expect(await delta('Ingress', 'invalid_target')).toBeGreaterThanOrEqual(2);
    expect(await delta('Ingress', 'invalid_ttl')).toBeGreaterThanOrEqual(1);
    // not-an-ip, 300.1.1.1.
    expect(await delta('Service', 'invalid_target')).toBeGreaterThanOrEqual(2);
    expect(await delta('DNSEndpoint', 'invalid_name')).toBeGreaterThanOrEqual(1);
    expect(await delta('DNSEndpoint', 'invalid_target')).toBeGreaterThanOrEqual(2);
    expect(await delta('DNSEndpoint', 'invalid_ttl')).toBeGreaterThanOrEqual(1);
  });

  it('is exposed through the registry', async () => {
    const { registry } = await import('../../src/metrics/registry.js');
    const text = await registry.getSingleMetricAsString('exdns_invalid_objects_total');
    expect(text).toMatch(/exdns_invalid_objects_total\{kind="Ingress",reason="invalid_name"\} [1-9]/);
    expect(text).toMatch(/exdns_invalid_objects_total\{kind="Service",reason="invalid_target"\} [1-9]/);
  });

  it('a later broken object is skipped without disturbing the answers', async () => {
    const n = await invalidCount('Ingress', 'invalid_name');
    upsertYaml(
      g,
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: late, namespace: web}
spec:
  rules:
    - host: "bad host.example.com"
    - host: late.example.com
    - host: ${'x'.repeat(64)}.example.com
status: {loadBalancer: {ingress: [{ip: 192.0.2.65}, {ip: "::ffff:999.1.1.1"}, {hostname: "bad_lb..example.com"}]}}`,
    );
    upsertYaml(g, 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: garbage, namespace: web}\nspec: 5\nstatus: [1, 2]');
    expect(await invalidCount('Ingress', 'invalid_name')).toBeGreaterThanOrEqual(n + 2);
    await check(g, { qname: 'late.example.com.', qtype: QType.A, answer: ['late.example.com. 60 IN A 192.0.2.65'] });
    await check(g, { qname: 'good-host.example.com.', qtype: QType.A, answer: ['good-host.example.com. 60 IN A 192.0.2.60'] });
  });
});
