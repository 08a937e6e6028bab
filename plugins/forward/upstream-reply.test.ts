import { describe, expect, it } from 'vitest';
import { expectSection, queryBytes } from '../../test/kit.js';
import { reply, type FakeQuery, type ReplyOptions } from '../../test/upstream/fake.js';
import { Flag, QType, Rcode } from '../../src/wire/constants.js';
import { decodeMessage } from '../../src/wire/message.js';
import { parseQuery, Query } from '../../src/wire/query.js';
import { finalizeReply, PreparedReply, replyRcode, replySizeLimit } from '../../src/wire/reply.js';
import { readUpstreamReply } from './upstream-reply.js';

function query(name: string, qtype: number, o: Parameters<typeof queryBytes>[2] = {}): Query {
  const q = parseQuery(queryBytes(name, qtype, o));
  if (!(q instanceof Query)) throw new Error('bad test query');
  return q;
}

/** The upstream's view of the query (its ID changed, as the pools do). */
function asFake(q: Query): FakeQuery {
  const raw = Buffer.from(q.raw);
  raw.writeUInt16BE(0xbeef, 0);
  return { proto: 'udp', id: 0xbeef, flags: q.flags, name: q.originalName, qtype: q.qtype, qclass: q.qclass, questionEnd: q.questionEnd, raw, port: 1, connection: 0 };
}

function upstream(q: Query, o: ReplyOptions) {
  const msg = reply(asFake(q), o);
  const r = readUpstreamReply(msg, q.questionEnd);
  if (r === undefined) throw new Error('unreadable');
  return { msg, r, wire: finalizeReply(q, r.reply, replySizeLimit(q, false)) };
}

describe('readUpstreamReply', () => {
  it('passes the records on as a prepared reply over the upstream bytes, with the client ID and question', () => {
    const q = query('WWW.example.org.', QType.A, { id: 42 });
    const { msg, r, wire } = upstream(q, { a: ['192.0.2.1', '192.0.2.2'], aa: true });
    expect(r.reply).toBeInstanceOf(PreparedReply);
    expect((r.reply as PreparedReply).bytes).toBe(msg);
    expect([r.rcode, r.truncated, r.answers]).toEqual([0, false, 2]);
    const m = decodeMessage(wire);
    expect(m.header.id).toBe(42);
    expect(m.header.aa).toBe(1);
    expect(m.header.ra).toBe(1);
    expect(m.questions[0]!.name).toBe('WWW.example.org');
    expectSection(m.answers, ['WWW.example.org. 300 IN A 192.0.2.1', 'WWW.example.org. 300 IN A 192.0.2.2']);
  });

  it('keeps NXDOMAIN with its SOA, and TC', () => {
    const q = query('nx.example.org.', QType.A);
    const { r, wire } = upstream(q, { rcode: Rcode.NXDOMAIN, soa: true, tc: true });
    expect([r.rcode, r.truncated, r.answers]).toEqual([Rcode.NXDOMAIN, true, 0]);
    const m = decodeMessage(wire);
    expect(m.header.rcode).toBe(Rcode.NXDOMAIN);
    expect(m.header.tc).toBe(1);
    expect(m.authorities).toHaveLength(1);
  });

  it("drops the upstream's OPT: a client with EDNS gets exdns's one, a client without none", () => {
    const withEdns = query('e.example.org.', QType.A, { edns: 4096 });
    const a = upstream(withEdns, { a: ['192.0.2.3'], opt: { udpSize: 4096 } });
    expect((a.r.reply as PreparedReply).arcount).toBe(0);
    const ma = decodeMessage(a.wire);
    expect(ma.additionals.filter((x) => x.type === QType.OPT)).toHaveLength(1);
    expect(a.wire.readUInt16BE(10)).toBe(1);
    const plain = query('e.example.org.', QType.A);
    const b = upstream(plain, { a: ['192.0.2.3'], opt: { udpSize: 4096 } });
    expect(b.wire.readUInt16BE(10)).toBe(0);
  });

  it('keeps an extended rcode from the OPT (decoded path)', () => {
    const q = query('c.example.org.', QType.A, { edns: 1232 });
    const { r, wire } = upstream(q, { rcode: Rcode.BADCOOKIE & 0xf, opt: { extendedRcode: Rcode.BADCOOKIE >> 4 } });
    expect(r.rcode).toBe(Rcode.BADCOOKIE);
    expect(r.reply).not.toBeInstanceOf(PreparedReply);
    expect(replyRcode(r.reply)).toBe(Rcode.BADCOOKIE);
    const opt = wire.subarray(wire.length - 11);
    expect(opt.readUInt16BE(1)).toBe(QType.OPT);
    expect(opt[5]).toBe(Rcode.BADCOOKIE >> 4);
    expect(wire.readUInt16BE(2) & 0xf).toBe(Rcode.BADCOOKIE & 0xf);
  });

  it('lets the writer cut a reply too large for the client at an RRset, with TC', () => {
    const q = query('big.example.org.', QType.TXT);
    const txt = Array.from({ length: 10 }, (_, i) => `${i}`.repeat(100));
    const { wire } = upstream(q, { txt });
    expect(wire.length).toBeLessThanOrEqual(512);
    expect(wire.readUInt16BE(2) & Flag.TC).toBe(Flag.TC);
  });

  it('rejects records that run past the end or do not parse', () => {
    const q = query('m.example.org.', QType.A);
    const good = reply(asFake(q), { a: ['192.0.2.1'] });
    expect(readUpstreamReply(good.subarray(0, good.length - 2), q.questionEnd)).toBeUndefined();
    const badCount = Buffer.from(good);
    badCount.writeUInt16BE(3, 6);
    expect(readUpstreamReply(badCount, q.questionEnd)).toBeUndefined();
    const badName = Buffer.from(good);
    badName[q.questionEnd] = 0x80;
    expect(readUpstreamReply(badName, q.questionEnd)).toBeUndefined();
  });
});
