import { describe, expect, it } from 'vitest';
import { expectSection, makeRequest, Recorder, rrString } from '../../test/kit.js';
import type { Handler } from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import { QType, Rcode } from '../../src/wire/constants.js';
import { rr, type Message, type Resource } from '../../src/wire/message.js';
import { PreparedReply, type Reply } from '../../src/wire/reply.js';
import type { Policy } from './balance.js';
import { parseSubnet } from './cidr.js';
import { LoadBalance } from './loadbalance.js';

/** No swaps: the shuffle keeps the order, so the expected grouping is exact. */
const KEEP = () => 0.999_999;

interface LbCase {
  name: string;
  qtype?: number;
  rcode?: number;
  answer?: Resource[];
  ns?: Resource[];
  extra?: Resource[];
  prefer?: string[];
  /** Serve the reply as wire bytes (PreparedReply), like cached and forwarded replies. */
  prepared?: boolean;
  wantAnswer?: string[];
  wantNs?: string[];
  wantExtra?: string[];
}

const Q = 'example.org.';
const a = (ip: string, owner = Q) => rr.a(owner, 300, ip);
const aaaa = (ip: string, owner = Q) => rr.aaaa(owner, 300, ip);
const cname = (target: string, owner = Q) => rr.cname(owner, 300, target);
const mx = (pref: number, host: string) => rr.mx(Q, 300, pref, host);
const txt = (s: string) => rr.txt(Q, 300, [s]);

function build(req: Request, tc: Pick<LbCase, 'rcode' | 'answer' | 'ns' | 'extra' | 'prepared'>): Reply {
  const m = req.reply();
  m.header.aa = 1;
  m.header.rcode = tc.rcode ?? Rcode.NOERROR;
  m.answers = [...(tc.answer ?? [])];
  m.authorities = [...(tc.ns ?? [])];
  m.additionals = [...(tc.extra ?? [])];
  return tc.prepared ? PreparedReply.fromMessage(m) : m;
}

/** A next plugin that writes `reply(req)` and remembers what it wrote. */
function writes(reply: (req: Request) => Reply): Handler & { last?: Reply } {
  const h: Handler & { last?: Reply } = {
    name: 'test',
    async serveDNS(req, w) {
      h.last = reply(req);
      w.write(h.last);
      return Rcode.NOERROR;
    },
  };
  return h;
}

async function serve(tc: LbCase, random: () => number = KEEP): Promise<{ rec: Recorder; next: Handler & { last?: Reply } }> {
  const policy: Policy = { prefer: (tc.prefer ?? []).map(parseSubnet), random };
  const next = writes((req) => build(req, tc));
  const req = makeRequest(Q, tc.qtype ?? QType.A);
  const rec = new Recorder(req);
  expect(await new LoadBalance(policy, next).serveDNS(req, rec)).toBe(Rcode.NOERROR);
  return { rec, next };
}

const strings = (rs: Resource[]) => rs.map((r) => rrString(r));

describe('loadbalance', () => {
  const cases: LbCase[] = [
    {
      name: 'CNAMEs go first, then other records, then addresses, then MX',
      answer: [a('192.0.2.1', 'www.example.org.'), mx(10, 'mx.example.org.'), cname('www.example.org.'), txt('x'), aaaa('2001:db8::1', 'www.example.org.')],
      wantAnswer: [
        'example.org. 300 IN CNAME www.example.org.',
        'example.org. 300 IN TXT "x"',
        'www.example.org. 300 IN A 192.0.2.1',
        'www.example.org. 300 IN AAAA 2001:db8::1',
        'example.org. 300 IN MX 10 mx.example.org.',
      ],
    },
    {
      name: 'every section is reordered',
      ns: [rr.ns(Q, 300, 'ns2.example.org.'), cname('x.example.org.')],
      extra: [a('192.0.2.53', 'ns1.example.org.'), rr.txt('t.example.org.', 300, ['t'])],
      wantNs: ['example.org. 300 IN CNAME x.example.org.', 'example.org. 300 IN NS ns2.example.org.'],
      wantExtra: ['t.example.org. 300 IN TXT "t"', 'ns1.example.org. 300 IN A 192.0.2.53'],
    },
    {
      name: 'the same in a prepared reply (names compressed against earlier records)',
      prepared: true,
      answer: [a('192.0.2.1', 'www.example.org.'), a('192.0.2.2', 'www.example.org.'), cname('www.example.org.')],
      wantAnswer: ['example.org. 300 IN CNAME www.example.org.', 'www.example.org. 300 IN A 192.0.2.1', 'www.example.org. 300 IN A 192.0.2.2'],
    },
    {
      name: 'errors are left alone',
      rcode: Rcode.NXDOMAIN,
      answer: [a('192.0.2.1', 'www.example.org.'), cname('www.example.org.')],
      wantAnswer: ['www.example.org. 300 IN A 192.0.2.1', 'example.org. 300 IN CNAME www.example.org.'],
    },
    {
      name: 'zone transfers are left alone',
      qtype: QType.AXFR,
      answer: [a('192.0.2.1'), cname('www.example.org.')],
      wantAnswer: ['example.org. 300 IN A 192.0.2.1', 'example.org. 300 IN CNAME www.example.org.'],
    },
    {
      name: 'prefer puts the addresses of the subnets first, subnet by subnet, other records last',
      prefer: ['198.51.100.0/24', '2001:db8::/32'],
      answer: [a('192.0.2.1'), txt('t'), aaaa('2001:db8::1'), a('198.51.100.7'), cname('www.example.org.'), mx(5, 'mx.example.org.')],
      wantAnswer: [
        'example.org. 300 IN CNAME www.example.org.',
        'example.org. 300 IN A 198.51.100.7',
        'example.org. 300 IN AAAA 2001:db8::1',
        'example.org. 300 IN A 192.0.2.1',
        'example.org. 300 IN MX 5 mx.example.org.',
        'example.org. 300 IN TXT "t"',
      ],
    },
    {
      name: 'prefer applies to the additional section but not the authority section',
      prefer: ['192.0.2.0/24'],
      ns: [rr.ns(Q, 300, 'ns1.example.org.'), cname('c.example.org.')],
      extra: [a('198.51.100.1', 'ns1.example.org.'), rr.txt('t.example.org.', 300, ['t']), a('192.0.2.1', 'ns2.example.org.')],
      wantNs: ['example.org. 300 IN CNAME c.example.org.', 'example.org. 300 IN NS ns1.example.org.'],
      wantExtra: ['ns2.example.org. 300 IN A 192.0.2.1', 'ns1.example.org. 300 IN A 198.51.100.1', 't.example.org. 300 IN TXT "t"'],
    },
    {
      name: 'an IPv4-mapped subnet matches A records',
      prefer: ['::ffff:198.51.100.0/120'],
      answer: [a('192.0.2.1'), a('198.51.100.9')],
      wantAnswer: ['example.org. 300 IN A 198.51.100.9', 'example.org. 300 IN A 192.0.2.1'],
    },
  ];

  it.each(cases)('$name', async (tc) => {
    const { rec } = await serve(tc);
    const m = rec.msg();
    expect(m.header.rcode).toBe(tc.rcode ?? Rcode.NOERROR);
    expect(m.header.aa).toBe(1);
    if (tc.wantAnswer) expectSection(m.answers, tc.wantAnswer);
    if (tc.wantNs) expectSection(m.authorities, tc.wantNs);
    if (tc.wantExtra) expectSection(m.additionals, tc.wantExtra);
  });

  describe('passes replies that cannot change on untouched', () => {
    const untouched: LbCase[] = [
      { name: 'empty NOERROR', answer: [] },
      { name: 'one address', answer: [a('192.0.2.1')] },
      { name: 'one address, prepared', prepared: true, answer: [a('192.0.2.1')] },
      { name: 'CNAME chain and one address', answer: [cname('a.example.org.'), cname('b.example.org.', 'a.example.org.'), a('192.0.2.1', 'b.example.org.')] },
      { name: 'CNAME chain and one address, prepared', prepared: true, answer: [cname('a.example.org.'), a('192.0.2.1', 'a.example.org.')], extra: [a('192.0.2.9', 'ns.example.org.')] },
      { name: 'one address and one MX in order', answer: [a('192.0.2.1'), mx(10, 'mx.example.org.')] },
      { name: 'one address with prefer', prefer: ['192.0.2.0/24'], answer: [cname('a.example.org.'), a('192.0.2.1', 'a.example.org.'), txt('t')] },
    ];
    it.each(untouched)('$name', async (tc) => {
      const { rec, next } = await serve(tc, () => {
        throw new Error('nothing to shuffle');
      });
      expect(rec.reply).toBe(next.last);
    });
  });

  describe('reorders address-only prepared replies in their wire form', () => {
    /** Records as `owner type address`, sorted, for comparing regardless of order. */
    const content = (rs: Resource[]) => strings(rs).sort();

    const shapes: Array<{ name: string; qname: string; answer: Resource[]; extra?: Resource[]; offset?: boolean }> = [
      // Owners are pointers into the question (k8s_gateway, forward).
      { name: 'owners pointing at the question', qname: Q, answer: [a('192.0.2.1'), a('192.0.2.2'), aaaa('2001:db8::1'), a('192.0.2.3')] },
      // The first owner is written out, later ones point at it: they are written out in full.
      { name: 'owners pointing at earlier records', qname: Q, answer: [a('192.0.2.1', 'www.example.org.'), a('192.0.2.2', 'www.example.org.'), a('192.0.2.3', 'www.example.org.')] },
      { name: 'glue of several names', qname: Q, answer: [a('192.0.2.1')], extra: [a('192.0.2.53', 'ns1.example.org.'), aaaa('2001:db8::53', 'ns1.example.org.'), a('192.0.2.54', 'ns2.example.org.')] },
      // Forward hands on the upstream message itself, the records at an offset.
      { name: 'records inside a whole message', qname: Q, answer: [a('192.0.2.1', 'www.example.org.'), a('192.0.2.2', 'www.example.org.')], offset: true },
    ];
    it.each(shapes)('$name', async (tc) => {
      const next = writes((req) => {
        const m = req.reply();
        m.answers = [...tc.answer];
        m.additionals = [...(tc.extra ?? [])];
        const p = PreparedReply.fromMessage(m);
        if (!tc.offset) return p;
        const whole = Buffer.concat([Buffer.alloc(req.query.questionEnd), p.tail]);
        return new PreparedReply(p.flags, p.ancount, p.nscount, p.arcount, whole, p.questionLength, req.query.questionEnd, p.length);
      });
      const orders = new Set<string>();
      for (let i = 0; i < 60; i++) {
        const req = makeRequest(tc.qname, QType.A);
        const rec = new Recorder(req);
        await new LoadBalance({ prefer: [], random: Math.random }, next).serveDNS(req, rec);
        expect(rec.reply).toBeInstanceOf(PreparedReply);
        const m = rec.msg();
        expect(content(m.answers)).toEqual(content(tc.answer));
        expect(content(m.additionals)).toEqual(content(tc.extra ?? []));
        orders.add(strings([...m.answers, ...m.additionals]).join('|'));
      }
      expect(orders.size).toBeGreaterThan(1);
    });

    it('applies prefer', async () => {
      const { rec } = await serve({ name: '', prepared: true, prefer: ['2001:db8::/32', '198.51.100.0/24'], answer: [a('192.0.2.1'), a('198.51.100.1'), aaaa('2001:db8::1')] });
      expect(rec.reply).toBeInstanceOf(PreparedReply);
      expectSection(rec.msg().answers, ['example.org. 300 IN AAAA 2001:db8::1', 'example.org. 300 IN A 198.51.100.1', 'example.org. 300 IN A 192.0.2.1']);
    });
  });

  it('never changes the reply the plugin below wrote', async () => {
    const answer = [a('192.0.2.1'), a('192.0.2.2'), a('192.0.2.3'), cname('x.example.org.')];
    const { rec, next } = await serve({ name: '', answer }, () => 0);
    const written = next.last as Message;
    expect(strings(written.answers)).toEqual(strings(answer));
    expect(rec.reply).not.toBe(written);
    expect(rrString(rec.msg().answers[0]!)).toContain('CNAME');
  });

  it('shuffles addresses uniformly: every order shows up, A and AAAA mixed', async () => {
    const answer = [a('192.0.2.1'), a('192.0.2.2'), aaaa('2001:db8::3')];
    for (const prepared of [false, true]) {
      const seen = new Map<string, number>();
      for (let i = 0; i < 360; i++) {
        const { rec } = await serve({ name: '', answer, prepared }, Math.random);
        const order = rec
          .msg()
          .answers.map((r) => r.address)
          .join(' ');
        seen.set(order, (seen.get(order) ?? 0) + 1);
      }
      expect(seen.size).toBe(6);
      for (const n of seen.values()) expect(n).toBeGreaterThan(25);
    }
  });

  it('shuffles MX records among themselves, after the addresses', async () => {
    const answer = [mx(10, 'a.example.org.'), mx(20, 'b.example.org.'), a('192.0.2.1')];
    const firsts = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { rec } = await serve({ name: '', answer }, Math.random);
      const types = rec.msg().answers.map((r) => r.type);
      expect(types).toEqual([QType.A, QType.MX, QType.MX]);
      firsts.add(String(rec.msg().answers[1]!.exchange));
    }
    expect(firsts.size).toBe(2);
  });

  it('ignores writes after the first', async () => {
    const policy: Policy = { prefer: [], random: KEEP };
    const next: Handler = {
      name: 'test',
      async serveDNS(req, w) {
        w.write(build(req, { answer: [a('192.0.2.1')] }));
        w.write(build(req, { answer: [a('192.0.2.2')] }));
        return Rcode.NOERROR;
      },
    };
    const req = makeRequest(Q, QType.A);
    const rec = new Recorder(req);
    await new LoadBalance(policy, next).serveDNS(req, rec);
    expectSection(rec.msg().answers, ['example.org. 300 IN A 192.0.2.1']);
  });
});
