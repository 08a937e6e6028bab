/**
 * PTR records: a reverse zone among the plugin's zones answers PTR for the addresses the forward
 * names hold, and follows their changes.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { QType, Rcode } from '../../src/wire/constants.js';
import { makeRequest, nextHandler, Recorder } from '../../test/kit.js';
import { check, fixture, soa, startGateway, type StartedGateway, table, upsertYaml } from '../../test/k8s-gateway.js';

const V4 = '0.0.192.in-addr.arpa.';
const V6 = '8.b.d.0.1.0.0.2.ip6.arpa.';
/** 2001:db8::1 */
const V6_ONE = `1.${'0.'.repeat(23)}${V6}`;
const MARKER = Rcode.REFUSED;

const DIRECTIVE = `k8s_gateway example.com 0.0.192.in-addr.arpa 8.b.d.0.1.0.0.2.ip6.arpa {
  manifests ${fixture('ptr.yaml')}
  resources Ingress Service
}`;

describe('PTR from forward names', () => {
  let g: StartedGateway;
  beforeAll(async () => {
    g = await startGateway(DIRECTIVE, { next: nextHandler(MARKER) });
  });
  afterAll(() => g.stop());
  table(
    () => g,
    [
      {
        id: 'R0',
        qname: `1.${V4}`,
        qtype: QType.PTR,
        answer: [`1.${V4} 60 IN PTR web.example.com.`, `1.${V4} 60 IN PTR www.example.com.`],
        ns: [],
      },
      { id: 'R1', qname: `2.${V4}`, qtype: QType.PTR, answer: [`2.${V4} 60 IN PTR svc.ns1.example.com.`] },
      { id: 'R2', qname: V6_ONE, qtype: QType.PTR, answer: [`${V6_ONE} 60 IN PTR web.example.com.`, `${V6_ONE} 60 IN PTR www.example.com.`] },
      // A reverse name without an address does not exist.
      { id: 'R3', qname: `5.${V4}`, qtype: QType.PTR, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa(V4, 'dns1.kube-system', 'example.com.')] },
      { id: 'R4', qname: `2.${V6_ONE.slice(2)}`, qtype: QType.PTR, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa(V6, 'dns1.kube-system', 'example.com.')] },
      // The wildcard owner *.apps.example.com holds 192.0.0.9, but it is no name to point at.
      { id: 'R5', qname: `9.${V4}`, qtype: QType.PTR, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa(V4, 'dns1.kube-system', 'example.com.')] },
      // Other types at a reverse name: NODATA.
      { id: 'R6', qname: `1.${V4}`, qtype: QType.A, answer: [], ns: [soa(V4, 'dns1.kube-system', 'example.com.')] },
      // The reverse zone's own SOA and NS; its nameserver is the forward zone's.
      { id: 'R7', qname: V4, qtype: QType.SOA, answer: [soa(V4, 'dns1.kube-system', 'example.com.')], ns: [] },
      { id: 'R8', qname: V4, qtype: QType.NS, answer: [`${V4} 60 IN NS dns1.kube-system.example.com.`] },
      // Empty non-terminal inside the ip6 zone.
      { id: 'R9', qname: V6_ONE.slice(2), qtype: QType.PTR, answer: [], ns: [soa(V6, 'dns1.kube-system', 'example.com.')] },
      // Forward names are unaffected.
      { id: 'R10', qname: 'web.example.com.', qtype: QType.AAAA, answer: ['web.example.com. 60 IN AAAA 2001:db8::1'] },
      // 198.51.100.1 is outside the plugin's reverse zones: the query is not ours.
      { id: 'R11', qname: '1.100.51.198.in-addr.arpa.', qtype: QType.PTR, returns: MARKER },
    ],
  );
});

describe('PTR follows address changes', () => {
  let g: StartedGateway;
  beforeEach(async () => {
    g = await startGateway(DIRECTIVE);
  });
  afterEach(() => g.stop());

  it('moves with a changed Ingress address, merges and drops names', async () => {
    upsertYaml(
      g,
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: web}
spec:
  ingressClassName: nginx
  rules: [{host: web.example.com}, {host: www.example.com}]
status: {loadBalancer: {ingress: [{ip: 192.0.0.3}]}}`,
    );
    await check(g, { qname: `1.${V4}`, qtype: QType.PTR, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa(V4, 'dns1.kube-system', 'example.com.')] });
    await check(g, { qname: V6_ONE, qtype: QType.PTR, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa(V6, 'dns1.kube-system', 'example.com.')] });
    await check(g, {
      qname: `3.${V4}`,
      qtype: QType.PTR,
      answer: [`3.${V4} 60 IN PTR web.example.com.`, `3.${V4} 60 IN PTR www.example.com.`],
    });

    // A second name on the same address joins the PTR RRset.
    upsertYaml(
      g,
      `apiVersion: v1
kind: Service
metadata: {name: svc, namespace: ns1}
spec: {type: LoadBalancer}
status: {loadBalancer: {ingress: [{ip: 192.0.0.3}]}}`,
    );
    await check(g, { qname: `2.${V4}`, qtype: QType.PTR, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa(V4, 'dns1.kube-system', 'example.com.')] });
    await check(g, {
      qname: `3.${V4}`,
      qtype: QType.PTR,
      answer: [`3.${V4} 60 IN PTR svc.ns1.example.com.`, `3.${V4} 60 IN PTR web.example.com.`, `3.${V4} 60 IN PTR www.example.com.`],
    });

    // Deleting the Ingress leaves the Service's PTR.
    g.instance.index.delete('Ingress', 'web/web');
    await check(g, { qname: `3.${V4}`, qtype: QType.PTR, answer: [`3.${V4} 60 IN PTR svc.ns1.example.com.`] });
    g.instance.index.delete('Service', 'ns1/svc');
    await check(g, { qname: `3.${V4}`, qtype: QType.PTR, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa(V4, 'dns1.kube-system', 'example.com.')] });
  });

  it('takes the smallest TTL of the forward names', async () => {
    upsertYaml(
      g,
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: short
  namespace: web
  annotations: {external-dns.alpha.kubernetes.io/ttl: "30"}
spec:
  rules: [{host: short.example.com}]
status: {loadBalancer: {ingress: [{ip: 192.0.0.1}]}}`,
    );
    await check(g, {
      qname: `1.${V4}`,
      qtype: QType.PTR,
      answer: [`1.${V4} 30 IN PTR short.example.com.`, `1.${V4} 30 IN PTR web.example.com.`, `1.${V4} 30 IN PTR www.example.com.`],
    });
  });
});

describe('PTR follows a manifests file edit', () => {
  let dir: string;
  let g: StartedGateway;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'exdns-ptr-'));
    await copyFile(fixture('ptr.yaml'), path.join(dir, 'objects.yaml'));
    g = await startGateway(`k8s_gateway example.com 0.0.192.in-addr.arpa {
      manifests ${dir}
      resources Ingress Service
    }`);
  });
  afterEach(async () => {
    await g.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('moves the PTR when the file changes the address', async () => {
    await check(g, { qname: `2.${V4}`, qtype: QType.PTR, answer: [`2.${V4} 60 IN PTR svc.ns1.example.com.`] });
    const file = path.join(dir, 'objects.yaml');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('- ip: 192.0.0.2', '- ip: 192.0.0.4'));
    // The source notices within its debounce (100 ms) or poll (500 ms) period.
    const rcodeOf = async (qname: string): Promise<number> => {
      const req = makeRequest(qname, QType.PTR);
      const rec = new Recorder(req);
      await g.handler.serveDNS(req, rec);
      return rec.msg().header.rcode;
    };
    await expect.poll(() => rcodeOf(`4.${V4}`), { timeout: 3000, interval: 50 }).toBe(Rcode.NOERROR);
    await check(g, { qname: `4.${V4}`, qtype: QType.PTR, answer: [`4.${V4} 60 IN PTR svc.ns1.example.com.`] });
    await check(g, { qname: `2.${V4}`, qtype: QType.PTR, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa(V4, 'dns1.kube-system', 'example.com.')] });
  });
});
