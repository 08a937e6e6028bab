import { describe, expect, it } from 'vitest';
import { makeRequest, nextHandler, Recorder } from '../../test/kit.js';
import type { Client } from '../../src/plugin/request.js';
import { QType, Rcode } from '../../src/wire/constants.js';
import { hostPort, probeTarget } from './address.js';
import { Loop, LoopState, loopMessage } from './loop.js';
import { probeName } from './probe.js';

const PROBE = '8674665223082153551.5577006791947779410.';

function setup(zone = '.', qname = PROBE) {
  const state = new LoopState(zone, qname);
  state.address = ':53';
  const loops: string[] = [];
  const h = new Loop(state, nextHandler(Rcode.REFUSED), (m) => loops.push(m));
  return { state, loops, h };
}

async function query(h: Loop, name: string, qtype: number, client?: Partial<Client>): Promise<number> {
  const req = makeRequest(name, qtype, { client });
  return h.serveDNS(req, new Recorder(req));
}

describe('loop', () => {
  it('detects its probe seen more than twice, and passes every query on', async () => {
    const { state, loops, h } = setup();
    for (let i = 1; i <= 2; i++) {
      expect(await query(h, PROBE, QType.HINFO)).toBe(Rcode.REFUSED);
      expect(state.seen).toBe(i);
    }
    expect(loops).toEqual([]);
    expect(await query(h, PROBE, QType.HINFO)).toBe(Rcode.REFUSED);
    expect(loops).toEqual([
      `Loop (10.240.0.1:40212 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO ${PROBE}"`,
    ]);
  });

  const ignored: Array<{ name: string; qname: string; qtype: number }> = [
    { name: 'other types', qname: PROBE, qtype: QType.A },
    { name: 'other HINFO names', qname: 'other.example.org.', qtype: QType.HINFO },
  ];
  it.each(ignored)('does not count $name', async ({ qname, qtype }) => {
    const { state, loops, h } = setup();
    for (let i = 0; i < 5; i++) expect(await query(h, qname, qtype)).toBe(Rcode.REFUSED);
    expect(state.seen).toBe(0);
    expect(loops).toEqual([]);
  });

  it('compares names without case', async () => {
    const { state, h } = setup('example.org.', `1.2.example.org.`);
    await query(h, '1.2.EXAMPLE.org.', QType.HINFO);
    expect(state.seen).toBe(1);
  });

  it('stops watching once switched off', async () => {
    const { state, loops, h } = setup();
    state.off = true;
    for (let i = 0; i < 5; i++) await query(h, PROBE, QType.HINFO);
    expect(state.seen).toBe(0);
    expect(loops).toEqual([]);
  });

  it('ignores names outside its zone', async () => {
    const { state, h } = setup('example.org.', '1.2.example.org.');
    await query(h, '1.2.example.net.', QType.HINFO);
    expect(state.seen).toBe(0);
  });

  it('shows addresses as Go does', () => {
    const state = new LoopState('example.org.', '1.2.example.org.');
    state.address = probeTarget({ host: '::1', udpPort: 1053, tcpPort: 1053 }).display;
    expect(loopMessage(state, hostPort('::ffff:127.0.0.1', 5353))).toBe(
      'Loop (127.0.0.1:5353 -> [::1]:1053) detected for zone "example.org.", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 1.2.example.org."',
    );
    expect(hostPort('2001:db8::1', 53)).toBe('[2001:db8::1]:53');
  });

  it('probes listeners on every address over loopback', () => {
    expect(probeTarget({ host: '', udpPort: 53, tcpPort: 53 })).toEqual({ host: '127.0.0.1', port: 53, display: ':53' });
    expect(probeTarget({ host: '::', udpPort: 53, tcpPort: 53 })).toEqual({ host: '::1', port: 53, display: '[::]:53' });
    expect(probeTarget({ host: '192.0.2.53', udpPort: 1053, tcpPort: 1053 })).toEqual({ host: '192.0.2.53', port: 1053, display: '192.0.2.53:1053' });
  });

  it('makes probe names of two random non-negative 63-bit numbers under the zone', () => {
    expect(probeName('.')).toMatch(/^\d{1,19}\.\d{1,19}\.$/);
    expect(probeName('example.org.')).toMatch(/^\d{1,19}\.\d{1,19}\.example\.org\.$/);
    expect(probeName('.')).not.toBe(probeName('.'));
  });
});
