/**
 * The cache in a real server, configured from a Corefile in front of k8s_gateway reading a
 * watched manifests folder, queried with the real `dig`: hits count down the TTL and repeat the
 * client's question casing; a name added after its NXDOMAIN was cached appears once the (here
 * shortened) denial lifetime has passed, while a name whose denial caching is disabled (in the
 * same manifest) shows when k8s_gateway has read it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig1 } from '../../test/e2e/dig.js';
import { startServer, type RunningServer } from '../../test/server.js';

const DENIAL_TTL = 5;

const ingress = (name: string, ip: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ${name}, namespace: web}
spec:
  ingressClassName: nginx
  rules: [{host: ${name}.example.com}]
status: {loadBalancer: {ingress: [{ip: ${ip}}]}}
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cache end to end', () => {
  let dir: string;
  let srv: RunningServer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'exdns-cache-e2e-'));
    await writeFile(path.join(dir, 'web.yaml'), ingress('web', '192.0.2.10'));
    srv = await startServer(`example.com:PORT {
    cache {
        denial 100 ${DENIAL_TTL}
        disable denial probe.example.com
    }
    k8s_gateway {
        manifests ${dir}
        resources Ingress
    }
}
`);
  });

  afterAll(async () => {
    await srv?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers hits with the remaining TTL and the client question casing', async () => {
    const miss = await dig1(srv.port, 'web.example.com', 'A');
    expect(miss.status).toBe('NOERROR');
    expect(miss.answer).toEqual([['web.example.com.', '60', 'IN', 'A', '192.0.2.10']]);
    await sleep(1100);
    const hit = await dig1(srv.port, 'WeB.ExAmPlE.cOm', 'A');
    expect(hit.flags).toContain('aa');
    expect(hit.question).toEqual([';WeB.ExAmPlE.cOm.\t\tIN\tA']);
    expect(hit.answer).toHaveLength(1);
    expect(Number(hit.answer[0]![1])).toBeLessThanOrEqual(59);
    expect(hit.answer[0]![4]).toBe('192.0.2.10');
  });

  it('keeps a cached NXDOMAIN until its lifetime is over', async () => {
    const t0 = performance.now();
    const first = await dig1(srv.port, 'new.example.com', 'A');
    expect(first.status).toBe('NXDOMAIN');
    // The SOA (TTL 60, minimum 60) is served with the cache lifetime.
    expect(first.authority[0]?.slice(0, 4)).toEqual(['example.com.', String(DENIAL_TTL), 'IN', 'SOA']);

    await writeFile(path.join(dir, 'new.yaml'), `${ingress('new', '192.0.2.20')}---\n${ingress('probe', '192.0.2.21')}`);
    // probe's NXDOMAIN is never cached: it shows when k8s_gateway has read the new file.
    for (;;) {
      const m = await dig1(srv.port, 'probe.example.com', 'A');
      if (m.status === 'NOERROR') break;
      if (performance.now() - t0 > DENIAL_TTL * 1000) throw new Error('k8s_gateway never saw the new manifest');
      await sleep(50);
    }
    const cached = await dig1(srv.port, 'new.example.com', 'A');
    if (performance.now() - t0 < (DENIAL_TTL - 1) * 1000) expect(cached.status).toBe('NXDOMAIN');

    let answered: number | undefined;
    while (answered === undefined) {
      const m = await dig1(srv.port, 'new.example.com', 'A');
      if (m.status === 'NOERROR') {
        expect(m.answer).toEqual([['new.example.com.', '60', 'IN', 'A', '192.0.2.20']]);
        answered = performance.now() - t0;
      } else if (performance.now() - t0 > (DENIAL_TTL + 3) * 1000) {
        throw new Error(`new.example.com still ${m.status}`);
      } else {
        await sleep(100);
      }
    }
    expect(answered).toBeGreaterThanOrEqual((DENIAL_TTL - 1) * 1000);
  });
});
