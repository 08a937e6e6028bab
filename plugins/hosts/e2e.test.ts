/**
 * hosts in a real server, queried with the real `dig`: answers from the file and from the
 * Corefile, PTR records for the file's addresses, NODATA and SERVFAIL as CoreDNS answers, a file
 * edit showing within the (here shortened) reload period, and a removed file whose last entries
 * keep being served. loadbalance above it shuffles a name with several addresses.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig1 } from '../../test/e2e/dig.js';
import { startServer, type RunningServer } from '../../test/server.js';
import { registry } from '../../src/metrics/registry.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const initial = `# test hosts file
192.0.2.10   web.example.org web   # short alias outside the zone
2001:db8::10 web.example.org
192.0.2.31 multi.example.org
192.0.2.32 multi.example.org
192.0.2.33 multi.example.org
`;

async function metric(name: string): Promise<number | undefined> {
  const m = registry.getSingleMetric(name);
  const v = m === undefined ? undefined : (await m.get()).values[0];
  return v?.value;
}

describe('hosts end to end', () => {
  let dir: string;
  let file: string;
  let srv: RunningServer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'exdns-hosts-e2e-'));
    file = path.join(dir, 'hosts');
    await writeFile(file, initial);
    srv = await startServer(`.:PORT {
    loadbalance
    hosts ${file} example.org {
        10.0.0.1 inline.example.org
        reload 100ms
    }
    whoami
}
`);
  });

  afterAll(async () => {
    await srv?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers A and AAAA from the file and the Corefile, authoritatively', async () => {
    const a = await dig1(srv.port, 'web.example.org', 'A');
    expect(a.status).toBe('NOERROR');
    expect(a.flags).toContain('aa');
    expect(a.answer).toEqual([['web.example.org.', '3600', 'IN', 'A', '192.0.2.10']]);
    const aaaa = await dig1(srv.port, 'web.example.org', 'AAAA');
    expect(aaaa.answer).toEqual([['web.example.org.', '3600', 'IN', 'AAAA', '2001:db8::10']]);
    const inline = await dig1(srv.port, 'inline.example.org', 'A');
    expect(inline.answer).toEqual([['inline.example.org.', '3600', 'IN', 'A', '10.0.0.1']]);
  });

  it('answers PTR for the file addresses, and passes other reverse names on', async () => {
    const ptr = await dig1(srv.port, '-x', '192.0.2.10');
    expect(ptr.answer).toEqual([['10.2.0.192.in-addr.arpa.', '3600', 'IN', 'PTR', 'web.example.org.']]);
    const ptr6 = await dig1(srv.port, '-x', '2001:db8::10');
    expect(ptr6.answer[0]?.slice(3)).toEqual(['PTR', 'web.example.org.']);
    // No entry: whoami answers (its records for the client are in the additional section, where
    // loadbalance puts the address after the SRV record, as CoreDNS does).
    const other = await dig1(srv.port, '-x', '192.0.2.99');
    expect(other.answer).toEqual([]);
    expect(other.additional.map((r) => r[3])).toEqual(['SRV', 'A']);
  });

  it('answers NODATA for a known name, SERVFAIL for an unknown one in its zone', async () => {
    const mx = await dig1(srv.port, 'web.example.org', 'MX');
    expect(mx.status).toBe('NOERROR');
    expect(mx.flags).toContain('aa');
    expect(mx.counts).toMatchObject({ answer: 0, authority: 0 });
    const missing = await dig1(srv.port, 'missing.example.org', 'A');
    expect(missing.status).toBe('SERVFAIL');
    // Outside its zones: the next plugin (whoami) answers.
    const outside = await dig1(srv.port, 'web', 'A');
    expect(outside.status).toBe('NOERROR');
    expect(outside.additional.map((r) => r[3])).toEqual(['SRV', 'A']);
  });

  it('reports its entries', async () => {
    // web: 2 addresses + 2 PTR names; multi: 3 + 3; inline: 1 + 1.
    expect(await metric('coredns_hosts_entries')).toBe(12);
    expect(await metric('coredns_hosts_reload_timestamp_seconds')).toBeGreaterThan(0);
  });

  it('shuffles a name with several addresses when loadbalance is on', async () => {
    const orders = new Set<string>();
    for (let i = 0; i < 20 && orders.size < 2; i++) {
      const m = await dig1(srv.port, 'multi.example.org', 'A');
      expect(m.answer.map((r) => r[4]).sort()).toEqual(['192.0.2.31', '192.0.2.32', '192.0.2.33']);
      orders.add(m.answer.map((r) => r[4]).join(' '));
    }
    expect(orders.size).toBeGreaterThan(1);
  });

  it('serves a file edit within the reload period, and keeps the last entries of a removed file', async () => {
    await writeFile(file, initial.replace('192.0.2.10 ', '192.0.2.20 '));
    const t0 = Date.now();
    for (;;) {
      const m = await dig1(srv.port, 'web.example.org', 'A');
      if (m.answer[0]?.[4] === '192.0.2.20') break;
      if (Date.now() - t0 > 5000) throw new Error(`edit not picked up: ${JSON.stringify(m.answer)}`);
      await sleep(50);
    }
    const ptr = await dig1(srv.port, '-x', '192.0.2.20');
    expect(ptr.answer).toEqual([['20.2.0.192.in-addr.arpa.', '3600', 'IN', 'PTR', 'web.example.org.']]);
    expect((await dig1(srv.port, '-x', '192.0.2.10')).answer).toEqual([]);

    await rm(file);
    await sleep(300);
    const kept = await dig1(srv.port, 'web.example.org', 'A');
    expect(kept.answer).toEqual([['web.example.org.', '3600', 'IN', 'A', '192.0.2.20']]);
  });
});
