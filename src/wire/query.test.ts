import { describe, expect, it } from 'vitest';
import { parseQuery, Query } from './query.js';
import { queryBytes } from '../../test/kit.js';
import { Rcode } from './constants.js';

function rejected(buf: Buffer) {
  const q = parseQuery(buf);
  if (q instanceof Query) throw new Error('expected a rejection');
  return q;
}

describe('parseQuery', () => {
  it('reads header, lowercased question and EDNS', () => {
    const q = parseQuery(queryBytes('WWW.Example.org', 28, { id: 77, edns: 1400, do: true }));
    expect(q).toBeInstanceOf(Query);
    const query = q as Query;
    expect(query.id).toBe(77);
    expect(query.name).toBe('www.example.org.');
    expect(query.originalName).toBe('WWW.Example.org.');
    expect(query.qtype).toBe(28);
    expect(query.qclass).toBe(1);
    expect(query.rd).toBe(true);
    expect(query.edns).toMatchObject({ udpSize: 1400, version: 0, do: true });
  });

  it.each([
    ['short datagram', Buffer.alloc(11)],
    ['a response (QR=1)', (() => { const b = queryBytes('a.org', 1); b[2]! |= 0x80; return b; })()],
  ])('drops %s', (_, buf) => {
    expect(rejected(buf).action).toBe('drop');
  });

  it.each([
    ['opcode NOTIFY', queryBytes('a.org', 1, { opcode: 4 }), Rcode.NOTIMP],
    ['opcode UPDATE', queryBytes('a.org', 1, { opcode: 5 }), Rcode.NOTIMP],
    ['qdcount 0', (() => { const b = queryBytes('a.org', 1); b.writeUInt16BE(0, 4); return b; })(), Rcode.FORMERR],
    ['qdcount 2', (() => { const b = queryBytes('a.org', 1); b.writeUInt16BE(2, 4); return b; })(), Rcode.FORMERR],
    ['question cut short', queryBytes('a.org', 1).subarray(0, 18), Rcode.FORMERR],
    ['arcount beyond data', (() => { const b = queryBytes('a.org', 1); b.writeUInt16BE(1, 10); return b; })(), Rcode.FORMERR],
    ['ancount 2', (() => { const b = queryBytes('a.org', 1); b.writeUInt16BE(2, 6); return b; })(), Rcode.FORMERR],
    ['header only', (() => { const b = Buffer.alloc(12); b.writeUInt16BE(1, 4); return b; })(), Rcode.FORMERR],
  ])('answers %s with a header-only error', (_, buf, rcode) => {
    const r = rejected(buf);
    expect(r).toMatchObject({ action: 'reply', rcode });
  });

  it('rejects two OPT records', () => {
    const one = queryBytes('a.org', 1, { edns: 1232 });
    const opt = one.subarray(one.length - 11);
    const two = Buffer.concat([one, opt]);
    two.writeUInt16BE(2, 10);
    expect(rejected(two)).toMatchObject({ action: 'reply', rcode: Rcode.FORMERR });
  });

  it('never throws on random bytes', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 20000; i++) {
      const b = Buffer.alloc(Math.floor(rnd() * 80));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
      if (b.length > 5 && rnd() < 0.5) b.writeUInt16BE(1, 4);
      expect(() => parseQuery(b)).not.toThrow();
    }
  });
});
