/**
 * End to end: the real `dig` against a running exdns whose `forward` points at a real
 * authoritative server (NSD, test/upstream/authoritative.ts) on loopback, alone and behind
 * k8s_gateway with fallthrough (names in the index answered by exdns, the rest forwarded).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, dig1 } from '../../test/e2e/dig.js';
import { startServer, type RunningServer } from '../../test/server.js';
import { type Authoritative, startAuthoritative } from '../../test/upstream/authoritative.js';
import { startFakeUpstream } from '../../test/upstream/fake.js';
import { registry } from '../../src/metrics/registry.js';
import { setLogSink } from '../../src/log.js';

const BIG = 100;

const MANIFEST = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: web}
spec:
  rules: [{host: shop.example.com}]
status: {loadBalancer: {ingress: [{ip: 192.0.2.10}]}}
`;

let ns: Authoritative;
let server: RunningServer;
let deadPort: number;
let dir: string;
const logs: string[] = [];
let restoreLog: (line: string) => void;

/** A series' value (a histogram's count) in the process registry. */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (m === undefined) return 0;
  let sum = 0;
  for (const v of (await m.get()).values as Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>) {
    if (v.metricName !== undefined && !v.metricName.endsWith('_count')) continue;
    if (Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x)) sum += v.value;
  }
  return sum;
}

beforeAll(async () => {
  restoreLog = setLogSink((l) => logs.push(l));
  ns = await startAuthoritative({
    zone: 'example.net',
    records: [
      'www 300 IN A 192.0.2.80',
      'www 300 IN AAAA 2001:db8::80',
      'alias 300 IN CNAME www',
      '@ 300 IN MX 10 mail.example.net.',
      'mail 300 IN A 192.0.2.25',
      'txt 300 IN TXT "hello world"',
      'x.tcp 300 IN A 192.0.2.81',
      ...Array.from({ length: BIG }, (_, i) => `big 300 IN A 10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`),
    ],
    extraZones: [{ zone: 'example.com', records: ['www 300 IN A 192.0.2.90', 'shop 300 IN A 203.0.113.99'] }],
  });
  // A port nothing listens on.
  const gone = await startFakeUpstream();
  deadPort = gone.port;
  await gone.stop();
  // startServer replaces PORT anywhere in the Corefile, the manifests path included.
  for (;;) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'exdns-forward-e2e-'));
    if (!dir.includes('PORT')) break;
    rmSync(dir, { recursive: true, force: true });
  }
  writeFileSync(path.join(dir, 'objects.yaml'), MANIFEST);
  server = await startServer(`example.net:PORT {
    errors
    forward . ${ns.address}
}
tcp.example.net:PORT {
    forward . ${ns.address} {
        force_tcp
    }
}
example.com:PORT {
    k8s_gateway {
        manifests ${dir}
        fallthrough
    }
    forward . ${ns.address}
}
dead.example:PORT {
    errors
    forward . 127.0.0.1:${deadPort}
}
`);
}, 30_000);

afterAll(async () => {
  await server?.stop();
  await ns?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (restoreLog) setLogSink(restoreLog);
});

describe('forward to NSD', () => {
  const rows: Array<{ q: string; type: string; answer: string[]; opts?: string[] }> = [
    { q: 'www.example.net', type: 'A', answer: ['www.example.net. 300 IN A 192.0.2.80'] },
    { q: 'www.example.net', type: 'AAAA', answer: ['www.example.net. 300 IN AAAA 2001:db8::80'] },
    { q: 'example.net', type: 'MX', answer: ['example.net. 300 IN MX 10 mail.example.net.'] },
    { q: 'txt.example.net', type: 'TXT', answer: ['txt.example.net. 300 IN TXT "hello world"'] },
    { q: 'alias.example.net', type: 'A', answer: ['alias.example.net. 300 IN CNAME www.example.net.', 'www.example.net. 300 IN A 192.0.2.80'] },
    { q: 'www.example.net', type: 'A', answer: ['www.example.net. 300 IN A 192.0.2.80'], opts: ['+tcp'] },
    { q: 'www.example.net', type: 'A', answer: ['www.example.net. 300 IN A 192.0.2.80'], opts: ['+noedns'] },
  ];
  it.each(rows.map((r) => ({ ...r, label: (r.opts ?? []).join(' ') })))('$q $type $label', async ({ q, type, answer, opts }) => {
    const m = await dig1(server.port, q, type, ...(opts ?? []));
    expect(m.status).toBe('NOERROR');
    // NSD's flags come through: authoritative, no recursion available; RD echoed from dig.
    expect(m.flags).toEqual(expect.arrayContaining(['qr', 'aa', 'rd']));
    expect(m.answer.map((f) => f.join(' '))).toEqual(answer);
    expect(m.transport).toBe(opts?.includes('+tcp') ? 'TCP' : 'UDP');
  });

  it('keeps the letter case of the question (0x20)', async () => {
    const m = await dig1(server.port, 'WwW.ExAmPlE.NeT', 'A');
    expect(m.question).toEqual([';WwW.ExAmPlE.NeT.\t\tIN\tA']);
    expect(m.answer.map((f) => f.join(' '))).toEqual(['WwW.ExAmPlE.NeT. 300 IN A 192.0.2.80']);
  });

  // NSD gives the SOA of a negative answer the TTL of the SOA minimum (60 s).
  it("passes NSD's NXDOMAIN on with its SOA", async () => {
    const m = await dig1(server.port, 'nothere.example.net', 'A');
    expect(m.status).toBe('NXDOMAIN');
    expect(m.authority.map((f) => f.slice(0, 5).join(' '))).toEqual(['example.net. 60 IN SOA ns1.example.net.']);
  });

  it('truncates a reply too big for UDP, and gives all of it over TCP', async () => {
    const udp = await dig1(server.port, 'big.example.net', 'A', '+ignore', '+bufsize=1232');
    expect(udp.flags).toContain('tc');
    expect(udp.answer.length).toBeLessThan(BIG);
    expect(udp.size).toBeLessThanOrEqual(1232);
    const tcp = await dig1(server.port, 'big.example.net', 'A', '+tcp');
    expect(tcp.flags).not.toContain('tc');
    expect(tcp.answer).toHaveLength(BIG);
  });

  it('force_tcp: a UDP query goes to the upstream over TCP', async () => {
    const labels = { proxy_name: 'forward', to: ns.address, proto: 'tcp' };
    const before = (await metric('coredns_proxy_conn_cache_hits_total', labels)) + (await metric('coredns_proxy_conn_cache_misses_total', labels));
    const m = await dig1(server.port, 'x.tcp.example.net', 'A');
    expect(m.transport).toBe('UDP');
    expect(m.answer.map((f) => f.join(' '))).toEqual(['x.tcp.example.net. 300 IN A 192.0.2.81']);
    const after = (await metric('coredns_proxy_conn_cache_hits_total', labels)) + (await metric('coredns_proxy_conn_cache_misses_total', labels));
    expect(after - before).toBe(1);
  });

  it('answers SERVFAIL when the upstream is down, and reports why', async () => {
    const m = await dig1(server.port, 'www.dead.example', 'A');
    expect(m.status).toBe('SERVFAIL');
    expect(logs.join('\n')).toMatch(new RegExp(`\\[ERROR\\] plugin/errors: 2 www\\.dead\\.example\\. A: read udp 127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${deadPort}: connection refused`));
  });

  it('reuses its sockets and counts upstream durations per rcode', async () => {
    const to = ns.address;
    const noerror = () => metric('coredns_proxy_request_duration_seconds', { proxy_name: 'forward', to, rcode: 'NOERROR' });
    const udp = { proxy_name: 'forward', to, proto: 'udp' };
    const before = { noerror: await noerror(), misses: await metric('coredns_proxy_conn_cache_misses_total', udp), hits: await metric('coredns_proxy_conn_cache_hits_total', udp) };
    const r = await Promise.all(Array.from({ length: 20 }, (_, i) => dig(server.port, 'www.example.net', 'A', `+subnet=192.0.2.${i}/32`)));
    expect(r.every((x) => x.messages[0]?.status === 'NOERROR')).toBe(true);
    expect(await noerror()).toBe(before.noerror + 20);
    // At most the pool's four sockets are new; every other query went out on an open one.
    const misses = (await metric('coredns_proxy_conn_cache_misses_total', udp)) - before.misses;
    expect(misses).toBeLessThanOrEqual(4);
    expect((await metric('coredns_proxy_conn_cache_hits_total', udp)) - before.hits).toBe(20 - misses);
    expect(await metric('coredns_proxy_request_duration_seconds', { proxy_name: 'forward', to, rcode: 'NXDOMAIN' })).toBeGreaterThanOrEqual(1);
  });
});

describe('k8s_gateway with fallthrough, then forward', () => {
  it('answers names in the index itself', async () => {
    const m = await dig1(server.port, 'shop.example.com', 'A');
    expect(m.status).toBe('NOERROR');
    expect(m.flags).toContain('aa');
    // Kubernetes's address, not NSD's 203.0.113.99.
    expect(m.answer.map((f) => f.join(' '))).toEqual(['shop.example.com. 60 IN A 192.0.2.10']);
  });

  it('forwards names the index does not hold', async () => {
    const m = await dig1(server.port, 'www.example.com', 'A');
    expect(m.answer.map((f) => f.join(' '))).toEqual(['www.example.com. 300 IN A 192.0.2.90']);
    const nx = await dig1(server.port, 'nothere.example.com', 'A', '+tcp');
    expect(nx.status).toBe('NXDOMAIN');
    expect(nx.authority.map((f) => f.slice(0, 5).join(' '))).toEqual(['example.com. 60 IN SOA ns1.example.com.']);
  });

  it("keeps the zone apex's SOA from k8s_gateway", async () => {
    const m = await dig1(server.port, 'example.com', 'SOA');
    expect(m.answer[0]!.slice(0, 5).join(' ')).toBe('example.com. 60 IN SOA dns1.kube-system.example.com.');
  });
});

describe('reload', () => {
  it('forwards to the new upstream once the Corefile changes', async () => {
    const ns2 = await startAuthoritative({ zone: 'example.net', records: ['www 300 IN A 192.0.2.180'] });
    try {
      server.setCorefile(`example.net:PORT {\n    forward . ${ns2.address}\n}\n`);
      expect(await server.instance.reload('test')).toBe(true);
      expect((await dig1(server.port, 'www.example.net', 'A')).answer.map((f) => f[4])).toEqual(['192.0.2.180']);
      expect((await dig1(server.port, 'www.example.net', 'A', '+tcp')).answer.map((f) => f[4])).toEqual(['192.0.2.180']);
    } finally {
      await ns2.stop();
    }
  });
});
