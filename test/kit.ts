/**
 * Test kit in the style of CoreDNS's plugin/test and dnstest: build requests, record what a
 * handler writes, and compare sections against RR strings ("example.org. 3600 IN A 1.2.3.4";
 * TTL 303 means "do not compare").
 */
import { expect } from 'vitest';
import { classToString, QType, Rcode, typeToString } from '../src/wire/constants.js';
import { decodeMessage, type Message, type Resource, fromDns2Name } from '../src/wire/message.js';
import { encodeName } from '../src/wire/name.js';
import { parseQuery, Query } from '../src/wire/query.js';
import { finalizeReply, replyRcode, replySizeLimit, type Reply } from '../src/wire/reply.js';
import { type Client, Request } from '../src/plugin/request.js';
import type { ResponseWriter, SentReply } from '../src/plugin/writer.js';
import { type Handler, PluginError } from '../src/plugin/plugin.js';

export interface QueryOptions {
  qclass?: number;
  id?: number;
  rd?: boolean;
  cd?: boolean;
  /** EDNS UDP size; undefined = no OPT (unless `do` is set, which implies 4096). */
  edns?: number;
  do?: boolean;
  ednsVersion?: number;
  opcode?: number;
}

/** Wire bytes of a query. */
export function queryBytes(name: string, qtype: number, o: QueryOptions = {}): Buffer {
  const n = encodeName(name.endsWith('.') ? name : name + '.');
  const hasOpt = o.edns !== undefined || o.do === true || o.ednsVersion !== undefined;
  const buf = Buffer.alloc(12 + n.length + 4 + (hasOpt ? 11 : 0));
  buf.writeUInt16BE(o.id ?? 0x1234, 0);
  let flags = (o.rd ?? true) ? 0x0100 : 0;
  if (o.cd) flags |= 0x0010;
  flags |= ((o.opcode ?? 0) & 0xf) << 11;
  buf.writeUInt16BE(flags, 2);
  buf.writeUInt16BE(1, 4);
  buf.writeUInt16BE(hasOpt ? 1 : 0, 10);
  n.copy(buf, 12);
  buf.writeUInt16BE(qtype, 12 + n.length);
  buf.writeUInt16BE(o.qclass ?? 1, 14 + n.length);
  if (hasOpt) {
    const off = 16 + n.length;
    buf[off] = 0;
    buf.writeUInt16BE(QType.OPT, off + 1);
    buf.writeUInt16BE(o.edns ?? 4096, off + 3);
    buf[off + 5] = 0;
    buf[off + 6] = o.ednsVersion ?? 0;
    buf[off + 7] = o.do ? 0x80 : 0;
    buf[off + 8] = 0;
    buf.writeUInt16BE(0, off + 9);
  }
  return buf;
}

export const testClient: Client = {
  proto: 'udp',
  remoteAddress: '10.240.0.1',
  remotePort: 40212,
  family: 1,
  localAddress: '127.0.0.1',
  localPort: 53,
};

export function makeRequest(name: string, qtype: number, o: QueryOptions & { client?: Partial<Client> } = {}): Request {
  const q = parseQuery(queryBytes(name, qtype, o));
  if (!(q instanceof Query)) throw new Error(`test query rejected: ${q.reason}`);
  return new Request(q, { ...testClient, ...o.client }, 'dns://:53', performance.now());
}

/** Records the reply a handler writes, finalised exactly as the server would send it. */
export class Recorder implements ResponseWriter {
  reply: Reply | undefined;
  wire: Buffer | undefined;
  sent: SentReply | undefined;

  constructor(readonly req: Request) {}

  get written(): boolean {
    return this.reply !== undefined;
  }

  write(reply: Reply): void {
    if (this.reply !== undefined) return;
    this.reply = reply;
    this.wire = finalizeReply(this.req.query, reply, replySizeLimit(this.req.query, this.req.proto === 'tcp'));
    this.sent = { rcode: replyRcode(reply), flags: this.wire.readUInt16BE(2), size: this.wire.length, plugin: this.req.plugin };
  }

  /** The reply as the client decodes it. */
  msg(): Message {
    if (this.wire === undefined) throw new Error('nothing written');
    return decodeMessage(this.wire);
  }
}

/** A next handler returning a fixed rcode (and optionally an error), like CoreDNS's test.NextHandler. */
export function nextHandler(rcode: number, err?: string): Handler {
  return {
    name: 'test',
    async serveDNS() {
      if (err !== undefined) throw new PluginError(rcode, err);
      return rcode;
    },
  };
}

/** Presentation form of a decoded record, close to dig/miekg's String(). */
export function rrString(r: Resource): string {
  const name = fromDns2Name(r.name);
  const head = `${name}\t${r.ttl}\t${classToString(r.class)}\t${typeToString(r.type)}`;
  const n = (s: string | undefined) => fromDns2Name(s ?? '');
  switch (r.type) {
    case QType.A:
    case QType.AAAA:
      return `${head}\t${r.address}`;
    case QType.CNAME:
    case QType.PTR:
      return `${head}\t${n(r.domain)}`;
    case QType.NS:
      return `${head}\t${n(r.ns)}`;
    case QType.MX:
      return `${head}\t${r.priority} ${n(r.exchange)}`;
    case QType.SRV:
      return `${head}\t${r.priority} ${r.weight} ${r.port} ${n(r.target)}`;
    case QType.TXT: {
      const d = Array.isArray(r.data) ? r.data : [String(r.data)];
      return `${head}\t${d.map((s) => JSON.stringify(s)).join(' ')}`;
    }
    case QType.SOA:
      return `${head}\t${n(r.primary)} ${n(r.admin)} ${r.serial} ${r.refresh} ${r.retry} ${r.expiration} ${r.minimum}`;
    case QType.HINFO: {
      const b = r.data as Buffer;
      const cpu = b.subarray(1, 1 + b[0]!).toString('latin1');
      const rest = b.subarray(1 + b[0]!);
      const os = rest.subarray(1, 1 + rest[0]!).toString('latin1');
      return `${head}\t${JSON.stringify(cpu)} ${JSON.stringify(os)}`;
    }
    default:
      return `${head}\t${Buffer.isBuffer(r.data) ? r.data.toString('hex') : JSON.stringify(r.data ?? '')}`;
  }
}

/** Normalises "name ttl class type rdata" (any whitespace) for comparison. */
function norm(s: string): string[] {
  return s.trim().split(/\s+/);
}

/** Compares a section with expected RR strings; TTL 303 is a wildcard. Order-sensitive unless `sorted`. */
export function expectSection(actual: Resource[], expected: string[], sorted = false): void {
  const a = actual.filter((r) => r.type !== QType.OPT).map((r) => norm(rrString(r)));
  const e = expected.map(norm);
  for (let i = 0; i < e.length && i < a.length; i++) {
    if (e[i]![1] === '303') a[i]![1] = '303';
  }
  const fmt = (x: string[][]) => x.map((p) => p.join(' '));
  if (sorted) expect(fmt(a).sort()).toEqual(fmt(e).sort());
  else expect(fmt(a)).toEqual(fmt(e));
}

export interface Case {
  qname: string;
  qtype: number;
  opts?: QueryOptions;
  rcode?: number;
  answer?: string[];
  ns?: string[];
  extra?: string[];
  /** Expected handler return when nothing is written (unwritten error rcode). */
  returns?: number;
}

/** Runs one table case against a handler. */
export async function runCase(h: Handler, tc: Case): Promise<Recorder> {
  const req = makeRequest(tc.qname, tc.qtype, tc.opts);
  const rec = new Recorder(req);
  const code = await h.serveDNS(req, rec);
  if (tc.returns !== undefined) {
    expect(code).toBe(tc.returns);
    return rec;
  }
  const m = rec.msg();
  expect(m.header.rcode).toBe(tc.rcode ?? Rcode.NOERROR);
  if (tc.answer) expectSection(m.answers, tc.answer);
  if (tc.ns) expectSection(m.authorities, tc.ns);
  if (tc.extra) expectSection(m.additionals, tc.extra);
  return rec;
}
