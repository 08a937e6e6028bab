import { describe, expect, it } from 'vitest';
import { parseQuery, Query } from './query.js';
import { finalizeReply, PreparedReply, errorReply, headerOnlyReply, replySizeLimit } from './reply.js';
import { decodeMessage, newMessage, rr } from './message.js';
import { queryBytes } from '../../test/kit.js';
import { Flag, QType, Rcode } from './constants.js';

function q(name: string, qtype: number, o: Parameters<typeof queryBytes>[2] = {}): Query {
  const r = parseQuery(queryBytes(name, qtype, o));
  if (!(r instanceof Query)) throw new Error(r.reason);
  return r;
}

function answerFor(name: string, n: number) {
  const m = newMessage();
  m.header.qr = 1;
  m.header.aa = 1;
  m.questions.push({ name: name.replace(/\.$/, ''), type: QType.A, class: 1 } as never);
  for (let i = 0; i < n; i++) m.answers.push(rr.a(name, 60, `10.0.${i >> 8}.${i & 255}`));
  return m;
}

describe('finalizeReply', () => {
  it('patches id, copies RD/CD and keeps the client question casing for prepared replies', () => {
    const prepared = PreparedReply.fromMessage(answerFor('www.example.org.', 2));
    const query = q('WwW.ExAmple.org', 1, { id: 999, cd: true });
    const out = finalizeReply(query, prepared, 512);
    expect(out.readUInt16BE(0)).toBe(999);
    const flags = out.readUInt16BE(2);
    expect(flags & Flag.QR).toBeTruthy();
    expect(flags & Flag.AA).toBeTruthy();
    expect(flags & Flag.RD).toBeTruthy();
    expect(flags & Flag.CD).toBeTruthy();
    const m = decodeMessage(out);
    expect(m.questions[0]!.name).toBe('WwW.ExAmple.org');
    expect(m.answers.map((a) => a.address)).toEqual(['10.0.0.0', '10.0.0.1']);
    expect(m.additionals).toHaveLength(0);
  });

  it('mirrors OPT only when the query had one, advertising 1232 and echoing DO', () => {
    const prepared = PreparedReply.fromMessage(answerFor('a.example.org.', 1));
    const withOpt = decodeMessage(finalizeReply(q('a.example.org', 1, { edns: 4096, do: true }), prepared, 1232));
    expect(withOpt.additionals).toHaveLength(1);
    expect(withOpt.additionals[0]).toMatchObject({ type: QType.OPT, class: 1232, doFlag: true });
    const without = decodeMessage(finalizeReply(q('a.example.org', 1), prepared, 512));
    expect(without.additionals).toHaveLength(0);
  });

  it('leaves a message OPT out of the tail (the server writes the client\'s) and the message intact', () => {
    const m = answerFor('o.example.org.', 1);
    m.additionals.push({ name: '', type: QType.OPT, class: 4096, ttl: 0, rdata: [] } as unknown as (typeof m.additionals)[number]);
    const prepared = PreparedReply.fromMessage(m);
    expect(prepared.arcount).toBe(0);
    expect(m.additionals).toHaveLength(1);
    const d = decodeMessage(finalizeReply(q('o.example.org', 1), prepared, 512));
    expect(d.answers).toHaveLength(1);
    expect(d.additionals).toHaveLength(0);
  });

  it('truncates whole RRsets with TC=1 and keeps OPT', () => {
    const m = answerFor('big.example.org.', 60);
    m.authorities.push(rr.ns('example.org.', 60, 'ns1.example.org.'));
    const prepared = PreparedReply.fromMessage(m);
    const query = q('big.example.org', 1, { edns: 1232 });
    const out = finalizeReply(query, prepared, replySizeLimit(query, false));
    expect(out.length).toBeLessThanOrEqual(1232);
    const d = decodeMessage(out);
    // 60 A records (16 bytes each compressed) fit in 1232; the NS RRset after them does too.
    expect(d.answers).toHaveLength(60);
    const small = q('big.example.org', 1);
    const cut = finalizeReply(small, prepared, replySizeLimit(small, false));
    expect(cut.length).toBeLessThanOrEqual(512);
    const dc = decodeMessage(cut);
    expect(dc.header.tc).toBe(1);
    // The answer RRset does not fit in 512 bytes: it is dropped whole, never split.
    expect(dc.answers).toHaveLength(0);
    expect(dc.authorities).toHaveLength(0);
  });

  it('does not set TC when only additional data is dropped', () => {
    const m = answerFor('x.example.org.', 1);
    for (let i = 0; i < 40; i++) m.additionals.push(rr.a(`host${i}.example.org.`, 60, '192.0.2.1'));
    const query = q('x.example.org', 1);
    const d = decodeMessage(finalizeReply(query, m, 512));
    expect(d.header.tc).toBe(0);
    expect(d.answers).toHaveLength(1);
    expect(d.additionals.length).toBeLessThan(40);
  });

  it('caps UDP at 1232 and honours 512 minimum', () => {
    expect(replySizeLimit(q('a.org', 1, { edns: 4096 }), false)).toBe(1232);
    expect(replySizeLimit(q('a.org', 1, { edns: 100 }), false)).toBe(512);
    expect(replySizeLimit(q('a.org', 1), false)).toBe(512);
    expect(replySizeLimit(q('a.org', 1), true)).toBe(65535);
  });

  it('restores the client question on general-path messages', () => {
    const m = answerFor('mixed.example.org.', 1);
    const d = decodeMessage(finalizeReply(q('MiXeD.example.org', 1), m, 512));
    expect(d.questions[0]!.name).toBe('MiXeD.example.org');
  });
});

describe('error replies', () => {
  it('BADVERS carries extended rcode in OPT', () => {
    const out = errorReply(q('a.org', 1, { edns: 1232, ednsVersion: 1 }), Rcode.BADVERS);
    const d = decodeMessage(out);
    expect(d.header.rcode & 0xf).toBe(0);
    expect(d.additionals[0]).toMatchObject({ type: QType.OPT, extendedRcode: 1, version: 0 });
  });

  it('header-only replies echo id and opcode', () => {
    const raw = queryBytes('a.org', 1, { id: 5, opcode: 4 });
    const out = headerOnlyReply(raw, Rcode.NOTIMP);
    expect(out.length).toBe(12);
    expect(out.readUInt16BE(0)).toBe(5);
    expect((out.readUInt16BE(2) >> 11) & 0xf).toBe(4);
    expect(out.readUInt16BE(2) & 0xf).toBe(Rcode.NOTIMP);
  });
});
