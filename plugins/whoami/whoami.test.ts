import { describe, expect, it } from 'vitest';
import { makeRequest, Recorder, expectSection, type QueryOptions } from '../../test/kit.js';
import type { Client } from '../../src/plugin/request.js';
import type { Handler } from '../../src/plugin/plugin.js';
import { QType, Rcode } from '../../src/wire/constants.js';
import { Whoami } from './whoami.js';

interface WhoamiCase {
  qname: string;
  qtype: number;
  opts?: QueryOptions;
  client?: Partial<Client>;
  extra: string[];
}

const cases: WhoamiCase[] = [
  {
    qname: 'example.org.',
    qtype: QType.A,
    extra: ['example.org. 0 IN A 10.240.0.1', '_udp.example.org. 0 IN SRV 0 0 40212 .'],
  },
  {
    // Every qtype is answered, not just A/AAAA.
    qname: 'example.org.',
    qtype: QType.MX,
    extra: ['example.org. 0 IN A 10.240.0.1', '_udp.example.org. 0 IN SRV 0 0 40212 .'],
  },
  {
    // Owner names keep the client's case.
    qname: 'ExAmPlE.OrG.',
    qtype: QType.A,
    extra: ['ExAmPlE.OrG. 0 IN A 10.240.0.1', '_udp.ExAmPlE.OrG. 0 IN SRV 0 0 40212 .'],
  },
  {
    qname: '.',
    qtype: QType.NS,
    extra: ['. 0 IN A 10.240.0.1', '_udp. 0 IN SRV 0 0 40212 .'],
  },
  {
    qname: 'example.net.',
    qtype: QType.AAAA,
    client: { proto: 'tcp', remoteAddress: '2001:db8::53', remotePort: 5353, family: 2 },
    extra: ['example.net. 0 IN AAAA 2001:db8::53', '_tcp.example.net. 0 IN SRV 0 0 5353 .'],
  },
  {
    qname: 'example.net.',
    qtype: QType.A,
    client: { remoteAddress: '::ffff:192.0.2.7', remotePort: 1, family: 2 },
    extra: ['example.net. 0 IN A 192.0.2.7', '_udp.example.net. 0 IN SRV 0 0 1 .'],
  },
  {
    qname: 'example.org.',
    qtype: QType.TXT,
    opts: { edns: 1232, do: true, id: 4242 },
    extra: ['example.org. 0 IN A 10.240.0.1', '_udp.example.org. 0 IN SRV 0 0 40212 .'],
  },
];

describe('whoami', () => {
  const h: Handler = new Whoami();

  it.each(cases)('$qname $qtype $client', async (tc) => {
    const req = makeRequest(tc.qname, tc.qtype, { ...tc.opts, client: tc.client });
    const rec = new Recorder(req);
    const code = await h.serveDNS(req, rec);
    expect(code).toBe(Rcode.NOERROR);
    const m = rec.msg();
    expect(m.header.rcode).toBe(Rcode.NOERROR);
    expect(m.header.aa).toBe(1);
    expect(m.header.qr).toBe(1);
    expect(m.header.id).toBe(tc.opts?.id ?? 0x1234);
    expect(m.answers).toEqual([]);
    expect(m.authorities).toEqual([]);
    expectSection(m.additionals, tc.extra);
  });
});
