import { afterEach, describe, expect, it } from 'vitest';
import { dig, dig1 } from '../e2e/dig.js';
import { type FakeUpstream, reply, startFakeUpstream } from './fake.js';

let up: FakeUpstream | undefined;
afterEach(async () => {
  await up?.stop();
  up = undefined;
});

describe('fake upstream', () => {
  it('answers over UDP and TCP on one port and records the queries', async () => {
    up = await startFakeUpstream();
    const udp = await dig1(up.port, 'Www.Example.org', 'A');
    expect(udp.answer.map((f) => f.join(' '))).toEqual(['Www.Example.org. 300 IN A 192.0.2.1']);
    await dig1(up.port, 'www.example.org', 'AAAA', '+tcp');
    expect(up.queries.map((q) => [q.proto, q.name, q.qtype])).toEqual([
      ['udp', 'Www.Example.org.', 1],
      ['tcp', 'www.example.org.', 28],
    ]);
    expect(up.tcpAccepted).toBe(1);
  });

  it('builds replies with whatever is asked for', async () => {
    up = await startFakeUpstream((q) => reply(q, { rcode: 3, soa: true, aa: false, ra: false, opt: { udpSize: 1400 } }));
    const m = await dig1(up.port, 'nx.example.org', 'A');
    expect(m.status).toBe('NXDOMAIN');
    expect(m.flags).toEqual(['qr', 'rd']);
    expect(m.authority[0]![3]).toBe('SOA');
    expect(m.opt?.udp).toBe(1400);
  });

  it('can stay silent, delay, and change behaviour while running', async () => {
    up = await startFakeUpstream(() => 'drop');
    expect((await dig(up.port, 'a.example.org', '+time=1')).code).toBe(9);
    up.behaviour = (q) => ({ delayMs: 100, then: reply(q, { txt: ['late'] }) });
    const t0 = performance.now();
    const m = await dig1(up.port, 'a.example.org', 'TXT');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    expect(m.answer[0]![4]).toBe('"late"');
  });
});
