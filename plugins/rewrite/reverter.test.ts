/** What the reply goes through on its way back: record types, flags, OPT, extended rcodes, truncation. */
import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex } from '../../src/corefile/lexer.js';
import type { Handler, SetupContext } from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import type { ResponseWriter } from '../../src/plugin/writer.js';
import { Flag, HEADER_SIZE, QType, Rcode } from '../../src/wire/constants.js';
import { rr, type Message } from '../../src/wire/message.js';
import { encodeName, readName } from '../../src/wire/name.js';
import { PreparedReply, type Reply } from '../../src/wire/reply.js';
import { expectSection, makeRequest, Recorder, type QueryOptions } from '../../test/kit.js';
import { plugin } from './setup.js';
import { parseRR } from './testdata/stub.js';

/** A next plugin that writes whatever `build` makes of the request it gets. */
function writer(build: (req: Request) => Reply): Handler {
  return {
    name: 'writer',
    async serveDNS(req: Request, w: ResponseWriter) {
      w.write(build(req));
      return 0;
    },
  };
}

async function serve(rules: string, next: Handler, qname: string, qtype: number, opts: QueryOptions = {}): Promise<Recorder> {
  const h = plugin.setup(new Dispenser(lex(rules, 'Corefile')), {} as SetupContext).handler!(next);
  const req = makeRequest(qname, qtype, opts);
  const rec = new Recorder(req);
  await h.serveDNS(req, rec);
  return rec;
}

/** A prepared reply for `req` holding records given as [owner, type, ttl, rdata] (owners in full). */
function prepared(req: Request, flags: number, records: Array<[string, number, number, Buffer]>): PreparedReply {
  const parts = records.map(([owner, type, ttl, rdata]) => {
    const head = Buffer.alloc(10);
    head.writeUInt16BE(type, 0);
    head.writeUInt16BE(1, 2);
    head.writeUInt32BE(ttl, 4);
    head.writeUInt16BE(rdata.length, 8);
    return Buffer.concat([encodeName(owner), head, rdata]);
  });
  return new PreparedReply(flags, records.length, 0, 0, Buffer.concat(parts), req.query.questionEnd - HEADER_SIZE);
}

function naptr(order: number, pref: number, flags: string, service: string, regexp: string, replacement: string): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(order, 0);
  head.writeUInt16BE(pref, 2);
  const str = (s: string) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]);
  return Buffer.concat([head, str(flags), str(service), str(regexp), encodeName(replacement)]);
}

/** The answer records of the wire the client got: [owner, type, ttl, raw RDATA]. */
function rawAnswers(rec: Recorder): Array<[string, number, number, Buffer]> {
  const wire = rec.wire!;
  const out: Array<[string, number, number, Buffer]> = [];
  let off = rec.req.query.questionEnd;
  for (let i = 0; i < wire.readUInt16BE(6); i++) {
    const owner = readName(wire, off);
    off = owner.end;
    const len = wire.readUInt16BE(off + 8);
    out.push([owner.name, wire.readUInt16BE(off), wire.readUInt32BE(off + 4), wire.subarray(off + 10, off + 10 + len)]);
    off += 10 + len;
  }
  return out;
}

describe('rewrite reply handling', () => {
  it('maps DNAME targets back (answer auto)', async () => {
    const next = writer((req) => {
      const m = req.reply();
      m.answers.push(parseRR('b.example.net. 60 IN DNAME target.b.example.net.'));
      return m;
    });
    const rec = await serve('rewrite name a.example.org b.example.net', next, 'a.example.org.', QType.DNAME);
    const [[owner, type, , rdata]] = rawAnswers(rec) as [[string, number, number, Buffer]];
    expect([owner, type]).toEqual(['a.example.org.', QType.DNAME]);
    expect(readName(rdata, 0).name).toBe('target.a.example.org.');
  });

  it('maps NAPTR replacements (answer value), keeping the rest of the RDATA', async () => {
    const next = writer((req) => prepared(req, Flag.AA, [[req.name, QType.NAPTR, 60, naptr(100, 10, 'S', 'SIP+D2U', '', '_sip._udp.b.example.net.')]]));
    const rec = await serve('rewrite name exact a.example.org b.example.net answer value (.*)\\.b\\.example\\.net {1}.a.example.org', next, 'a.example.org.', QType.NAPTR);
    const [[owner, , , rdata]] = rawAnswers(rec) as [[string, number, number, Buffer]];
    expect(owner).toBe('a.example.org.');
    expect(rdata).toEqual(naptr(100, 10, 'S', 'SIP+D2U', '', '_sip._udp.a.example.org.'));
  });

  it('copies RDATA of other types byte for byte', async () => {
    const caa = Buffer.from('\x00\x05issueexample.net', 'latin1');
    const unknown = Buffer.from([0xc0, 0x0c, 1, 2, 3]);
    const next = writer((req) =>
      prepared(req, Flag.AA, [
        [req.name, QType.CAA, 60, caa],
        [req.name, 65280, 60, unknown],
      ]),
    );
    const rec = await serve('rewrite name a.example.org b.example.net', next, 'a.example.org.', QType.CAA);
    expect(rawAnswers(rec)).toEqual([
      ['a.example.org.', QType.CAA, 60, caa],
      ['a.example.org.', 65280, 60, unknown],
    ]);
  });

  it('keeps the reply flags AA, RA, AD and TC', async () => {
    const next = writer((req) => prepared(req, Flag.AA | Flag.RA | Flag.AD | Flag.TC, [[req.name, QType.A, 60, Buffer.from([192, 0, 2, 1])]]));
    const rec = await serve('rewrite name a.example.org b.example.net', next, 'a.example.org.', QType.A);
    const flags = rec.wire!.readUInt16BE(2);
    expect(flags & (Flag.AA | Flag.RA | Flag.AD | Flag.TC)).toBe(Flag.AA | Flag.RA | Flag.AD | Flag.TC);
  });

  it('drops the OPT of a message reply and keeps its extended rcode', async () => {
    const next = writer((req) => {
      const m = req.reply();
      m.header.rcode = Rcode.BADCOOKIE;
      m.additionals.push(parseRR('ns.b.example.net. 60 IN A 192.0.2.53'), { name: '', type: QType.OPT, class: 4096, ttl: 0, rdata: [] } as unknown as Message['additionals'][number]);
      return m;
    });
    const rec = await serve('rewrite name a.example.org b.example.net', next, 'a.example.org.', QType.A, { edns: 1232 });
    const m = rec.msg();
    expect(m.header.rcode).toBe(Rcode.BADCOOKIE);
    expectSection(m.additionals, ['ns.a.example.org. 60 IN A 192.0.2.53']);
    expect(m.additionals.filter((r) => r.type === QType.OPT)).toHaveLength(1);
  });

  it('still truncates at whole RRsets for UDP', async () => {
    const next = writer((req) => {
      const m = req.reply();
      for (let i = 1; i <= 60; i++) m.answers.push(rr.a('b.example.net.', 60, `10.0.0.${i}`));
      return m;
    });
    const rec = await serve('rewrite name a.example.org b.example.net', next, 'a.example.org.', QType.A);
    const m = rec.msg();
    expect(rec.wire!.length).toBeLessThanOrEqual(512);
    expect(m.header.tc).toBe(1);
    expect(m.answers).toHaveLength(0);
  });

  it('compresses owner names against the question and each other', async () => {
    const next = writer((req) => {
      const m = req.reply();
      for (let i = 1; i <= 20; i++) m.answers.push(rr.a('b.example.net.', 60, `10.0.0.${i}`));
      return m;
    });
    const rec = await serve('rewrite name a.example.org b.example.net', next, 'a.example.org.', QType.A, { edns: 1232 });
    expect(rec.msg().answers).toHaveLength(20);
    // Question (15 + 4 bytes after the header), then 20 records of pointer + 10 + 4 bytes, then the OPT.
    expect(rec.wire!.length).toBe(HEADER_SIZE + 19 + 20 * 16 + 11);
  });
});
