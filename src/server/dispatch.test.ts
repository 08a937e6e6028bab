import { describe, expect, it } from 'vitest';
import { Dispatcher } from './dispatch.js';
import type { BuiltBlock, ListenerSpec } from './config.js';
import type { Handler } from '../plugin/plugin.js';
import { PluginError } from '../plugin/plugin.js';
import { decodeMessage } from '../wire/message.js';
import { queryBytes, testClient } from '../../test/kit.js';
import { Flag, QType, Rcode } from '../wire/constants.js';
import { PreparedReply } from '../wire/reply.js';
import { rdata, RRWriter } from '../wire/rrwriter.js';

function block(chain: Handler | undefined, acceptsAnyClass = false): BuiltBlock {
  return { info: { zones: [], keys: [], servers: [], index: 0 }, addresses: [], plugins: [], chain, acceptsAnyClass, hosts: [''], origin: 'Corefile:1' };
}

const answering = (rcode: number): Handler => ({
  name: 'fake',
  async serveDNS(req, w) {
    const m = req.message();
    m.header.qr = 1;
    m.header.rcode = rcode;
    w.write(m as never);
    return rcode;
  },
});

function spec(zones: Record<string, BuiltBlock>): ListenerSpec {
  return { key: '|0', host: '', port: 0, label: 'dns://:0', zones: new Map(Object.entries(zones)) };
}

async function ask(d: Dispatcher, raw: Buffer): Promise<Buffer | null> {
  return new Promise((resolve) => d.handle(raw, testClient, resolve));
}

describe('Dispatcher', () => {
  const tagged = (tag: number): Handler => ({
    name: `zone${tag}`,
    async serveDNS(req, w) {
      const m = req.message();
      m.header.qr = 1;
      m.header.rcode = 0;
      m.answers.push({ name: req.qname.slice(0, -1), type: QType.TXT, class: 1, ttl: 0, data: [String(tag)] } as never);
      w.write(m as never);
      return 0;
    },
  });
  const d = new Dispatcher(
    spec({
      'example.org.': block(tagged(1)),
      'sub.example.org.': block(tagged(2)),
      '.': block(tagged(3)),
      'empty.net.': block(undefined),
    }),
  );

  it.each([
    ['www.example.org', '1'],
    ['a.sub.example.org', '2'],
    ['SUB.Example.ORG', '2'],
    ['example.net', '3'],
  ])('routes %s by longest suffix', async (name, tag) => {
    const r = decodeMessage((await ask(d, queryBytes(name, QType.TXT)))!);
    expect(r.answers[0]!.data).toEqual([tag]);
  });

  it('DS queries for a zone apex go to the parent zone', async () => {
    const r = decodeMessage((await ask(d, queryBytes('sub.example.org', QType.DS)))!);
    expect(r.answers[0]!.data).toEqual(['1']);
  });

  it.each([
    ['a zone with an empty block', queryBytes('x.empty.net', QType.A), Rcode.REFUSED],
    ['class CH', queryBytes('example.org', QType.TXT, { qclass: 3 }), Rcode.REFUSED],
  ])('refuses %s', async (_, raw, rcode) => {
    const r = decodeMessage((await ask(d, raw))!);
    expect(r.header.rcode).toBe(rcode);
    expect(r.questions).toHaveLength(1);
  });

  it('answers BADVERS for EDNS version 1', async () => {
    const r = decodeMessage((await ask(d, queryBytes('example.org', QType.A, { ednsVersion: 1 })))!);
    expect(r.additionals[0]).toMatchObject({ extendedRcode: 1, version: 0 });
  });

  it('refuses everything when no zone matches', async () => {
    const only = new Dispatcher(spec({ 'example.org.': block(answering(0)) }));
    const r = decodeMessage((await ask(only, queryBytes('example.net', QType.A)))!);
    expect(r.header.rcode).toBe(Rcode.REFUSED);
  });

  type Serve = () => Promise<number> | number;
  it.each<[string, Serve, number]>([
    ['returned SERVFAIL unwritten', async () => Rcode.SERVFAIL, Rcode.SERVFAIL],
    ['returned REFUSED unwritten', async () => Rcode.REFUSED, Rcode.REFUSED],
    ['thrown PluginError', async (): Promise<number> => { throw new PluginError(Rcode.SERVFAIL, 'plugin/x: boom'); }, Rcode.SERVFAIL],
    ['panic', async (): Promise<number> => { throw new TypeError('bug'); }, Rcode.SERVFAIL],
    ['synchronous panic', (): number => { throw new TypeError('sync bug'); }, Rcode.SERVFAIL],
  ])('writes the reply when the chain %s', async (_, serve, rcode) => {
    const h = { name: 'x', serveDNS: serve } as unknown as Handler;
    const dd = new Dispatcher(spec({ '.': block(h) }));
    const r = decodeMessage((await ask(dd, queryBytes('example.org', QType.A, { id: 4242 })))!);
    expect(r.header.id).toBe(4242);
    expect(r.header.rcode).toBe(rcode);
    expect(dd.inflight).toBe(0);
  });

  it('reports no reply (null) when the chain writes nothing and returns NOERROR', async () => {
    const dd = new Dispatcher(spec({ '.': block({ name: 'quiet', serveDNS: async () => 0 }) }));
    expect(await ask(dd, queryBytes('example.org', QType.A))).toBeNull();
  });

  it('drops responses and short packets with a null reply', async () => {
    const resp = queryBytes('example.org', QType.A);
    resp[2]! |= 0x80;
    expect(await ask(d, resp)).toBeNull();
    expect(await ask(d, Buffer.alloc(5))).toBeNull();
  });

  describe('prepared answers at the head of the chain', () => {
    // An A record owned by the question name (pointer to offset 12).
    const tail = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
    const answer = (qlen: number) => new PreparedReply(Flag.AA, 1, 0, 0, tail, qlen);
    const head = (known: string, served: string[]) => ({
      name: 'head',
      preparedReply: ({ name, qtype }: { name: string; qtype: number }) => (name === known && qtype === QType.A ? answer(name.length + 1 + 4) : undefined),
      serveDNS: async (req: { name: string }, w: { write(r: PreparedReply): void }) => {
        served.push(req.name);
        const wr = new RRWriter(-1).rr(req.name, QType.TXT, 0, rdata.txt('chain'));
        w.write(new PreparedReply(Flag.AA, 1, 0, 0, wr.finish(), -1));
        return 0;
      },
    });

    it('sends the prepared reply without running the chain, with the query ID and 0x20 casing', async () => {
      const served: string[] = [];
      const dd = new Dispatcher(spec({ '.': block(head('www.example.org.', served) as unknown as Handler) }));
      const r = decodeMessage((await ask(dd, queryBytes('WWW.example.ORG', QType.A, { id: 77 })))!);
      expect(served).toEqual([]);
      expect(r.header.id).toBe(77);
      expect(r.header.aa).toBe(1);
      expect(r.questions[0]!.name).toBe('WWW.example.ORG');
      expect(r.answers.map((a) => (a as { address?: string }).address)).toEqual(['192.0.2.1']);
      expect(dd.inflight).toBe(0);
    });

    it('runs the chain when there is no prepared reply', async () => {
      const served: string[] = [];
      const dd = new Dispatcher(spec({ '.': block(head('www.example.org.', served) as unknown as Handler) }));
      const r = decodeMessage((await ask(dd, queryBytes('other.example.org', QType.A)))!);
      expect(served).toEqual(['other.example.org.']);
      expect(r.answers[0]!.data).toEqual(['chain']);
    });

    it('is not asked when it is not the head of the chain', async () => {
      const served: string[] = [];
      const inner = head('www.example.org.', served) as unknown as Handler;
      const outer: Handler = { name: 'outer', serveDNS: (req, w) => inner.serveDNS(req, w) };
      const dd = new Dispatcher(spec({ '.': block(outer) }));
      await ask(dd, queryBytes('www.example.org', QType.A));
      expect(served).toEqual(['www.example.org.']);
    });
  });
});
