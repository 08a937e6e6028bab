/**
 * exdns through a kube-apiserver outage: stopped for 30 s and started again. DNS must keep
 * answering from the last known objects throughout, the watches must come back on their own,
 * and changes made after the restart must be answered within 5 s of it. etcd is compacted
 * during the outage, so the resourceVersions exdns was watching from are gone when the server
 * returns: the watches expire (410) and must relist.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../exdns-process.js';
import { compactEtcd, ensureTestbed, startApiserver, stopApiserver, type KubeObject, type Testbed } from '../testbed/client.js';
import { answers, ask, metric, nxdomain, startExdns, until, type Exdns } from './harness.js';

const ns = `outage-${randomBytes(3).toString('hex')}`;
const zone = 'kube.test';
const OUTAGE_MS = 30_000;
let tb: Testbed;
let exdns: Exdns;
let apiserverStopped = false;

const lbStatus = (ip: string) => ({ loadBalancer: { ingress: [{ ip }] } });
const service = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] },
});

beforeAll(async () => {
  ({ testbed: tb } = await ensureTestbed({ crds: 'all' }));
  await tb.admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  exdns = await startExdns(`
${zone}:DNS_PORT {
    k8s_gateway {
        resources Ingress Service HTTPRoute DNSEndpoint
        kubeconfig ${tb.exdnsKubeconfig}
    }
    ready 127.0.0.1:READY_PORT
    prometheus 127.0.0.1:METRICS_PORT
}
`);
}, 30 * 60_000);

afterAll(async () => {
  if (apiserverStopped) await startApiserver();
  await exdns?.stop();
}, 120_000);

describe('kube-apiserver stopped for 30 s', () => {
  it('keeps answering during the outage and catches up within 5 s of the restart', async () => {
    const kept = service('kept');
    const moved = service('moved');
    const gone = service('gone');
    for (const [s, ip] of [
      [kept, '192.0.2.1'],
      [moved, '192.0.2.2'],
      [gone, '192.0.2.3'],
    ] as const) {
      await tb.admin.apply(s);
      await tb.admin.patchStatus(s, lbStatus(ip));
    }
    await until(exdns, `gone.${ns}.${zone}`, 'A', answers('A 192.0.2.3'));
    await until(exdns, `moved.${ns}.${zone}`, 'A', answers('A 192.0.2.2'));
    const relistsBefore = (await metric(exdns, 'exdns_watch_relists_total', 'kind="Service"')) ?? 0;

    await stopApiserver();
    apiserverStopped = true;
    const outageEnd = Date.now() + OUTAGE_MS;
    await compactEtcd();
    let asked = 0;
    while (Date.now() < outageEnd) {
      const seen = await ask(exdns, `kept.${ns}.${zone}`, 'A');
      expect(seen.status, seen.text).toBe('NOERROR');
      expect(seen.records).toEqual(['A 192.0.2.1']);
      asked++;
      await sleep(1000);
    }
    expect(asked).toBeGreaterThan(20);
    expect(await fetch(`http://127.0.0.1:${exdns.readyPort}/ready`).then((r) => r.status)).toBe(200);

    await startApiserver();
    apiserverStopped = false;
    const restarted = Date.now();
    // Changes made right after the restart: an address moves, an object goes, one arrives.
    await tb.admin.patchStatus(moved, lbStatus('192.0.2.22'));
    await tb.admin.delete(gone);
    const fresh = service('fresh');
    await tb.admin.apply(fresh);
    await tb.admin.patchStatus(fresh, lbStatus('192.0.2.4'));
    const deadline = 5000 - (Date.now() - restarted);
    await until(exdns, `moved.${ns}.${zone}`, 'A', answers('A 192.0.2.22'), Math.max(deadline, 0));
    await until(exdns, `gone.${ns}.${zone}`, 'A', nxdomain, Math.max(5000 - (Date.now() - restarted), 0));
    await until(exdns, `fresh.${ns}.${zone}`, 'A', answers('A 192.0.2.4'), Math.max(5000 - (Date.now() - restarted), 0));
    expect(Date.now() - restarted).toBeLessThanOrEqual(5000);

    // The old watches expired (410) and the kind was listed again.
    const relistsAfter = (await metric(exdns, 'exdns_watch_relists_total', 'kind="Service"')) ?? 0;
    expect(relistsAfter, exdns.daemon.output.slice(-3000)).toBeGreaterThan(relistsBefore);
    expect(await metric(exdns, 'exdns_watch_restarts_total', 'kind="Service"')).toBeGreaterThan(0);

    for (const s of [kept, moved, fresh]) await tb.admin.delete(s);
  }, 180_000);
});
