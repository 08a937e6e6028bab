/**
 * A next handler for rewrite's table tests, like CoreDNS's test handlers: it answers from a table
 * keyed by the question it receives, so a test shows both what reached the chain below rewrite
 * and what the client gets back.
 */
import type { Handler } from '../../../src/plugin/plugin.js';
import { PluginError } from '../../../src/plugin/plugin.js';
import type { Request } from '../../../src/plugin/request.js';
import type { ResponseWriter } from '../../../src/plugin/writer.js';
import { QType, Rcode, stringToClass, stringToType, typeToString } from '../../../src/wire/constants.js';
import { rr, toDns2Name, type Resource } from '../../../src/wire/message.js';
import { encodeName } from '../../../src/wire/name.js';
import { PreparedReply } from '../../../src/wire/reply.js';

/** One record in presentation form: `owner TTL CLASS TYPE RDATA`. */
export function parseRR(s: string): Resource {
  const [owner, ttlText, classText, typeText, ...data] = s.trim().split(/\s+/) as [string, string, string, string, ...string[]];
  const ttl = Number(ttlText);
  const type = stringToType(typeText);
  let r: Resource;
  switch (type) {
    case QType.A:
      r = rr.a(owner, ttl, data[0]!);
      break;
    case QType.AAAA:
      r = rr.aaaa(owner, ttl, data[0]!);
      break;
    case QType.CNAME:
      r = rr.cname(owner, ttl, data[0]!);
      break;
    case QType.PTR:
      r = rr.ptr(owner, ttl, data[0]!);
      break;
    case QType.NS:
      r = rr.ns(owner, ttl, data[0]!);
      break;
    case QType.MX:
      r = rr.mx(owner, ttl, Number(data[0]), data[1]!);
      break;
    case QType.SRV:
      r = rr.srv(owner, ttl, Number(data[0]), Number(data[1]), Number(data[2]), data[3]!);
      break;
    case QType.TXT:
      r = rr.txt(owner, ttl, [data.join(' ').replace(/^"|"$/g, '')]);
      break;
    case QType.SOA: {
      const [primary, admin, serial, refresh, retry, expiration, minimum] = data as [string, string, ...string[]];
      r = rr.soa(owner, ttl, {
        primary,
        admin,
        serial: Number(serial),
        refresh: Number(refresh),
        retry: Number(retry),
        expiration: Number(expiration),
        minimum: Number(minimum),
      });
      break;
    }
    case QType.DNAME:
      // dns2 has no DNAME codec and re-emits `data` as the RDATA.
      r = { name: toDns2Name(owner), type: QType.DNAME, class: 1, ttl, data: encodeName(data[0]!) } as Resource;
      break;
    default:
      throw new Error(`stub: cannot build ${s}`);
  }
  r.class = stringToClass(classText) ?? 1;
  return r;
}

export interface StubAnswer {
  rcode?: number;
  answer?: string[];
  ns?: string[];
  extra?: string[];
}

/** What the stub does for a question: answer, return an rcode unwritten, or fail. */
export type StubAction = StubAnswer | number | PluginError;

export class Stub implements Handler {
  readonly name = 'stub';
  /** Every request that reached the stub. */
  readonly seen: Request[] = [];
  /** The writer of every request that reached the stub. */
  readonly writers: ResponseWriter[] = [];
  /** Every reply the stub wrote, as it wrote it. */
  readonly written: (PreparedReply | ReturnType<Request['reply']>)[] = [];

  constructor(
    /** Keyed by "name TYPE" (lowercase name) or just the name; anything else is NXDOMAIN. */
    private readonly table: Readonly<Record<string, StubAction>>,
    /** Write prepared replies (whose compression pointers point into the question) instead of messages. */
    private readonly prepared = false,
  ) {}

  async serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    this.seen.push(req);
    this.writers.push(w);
    const action = this.table[`${req.name} ${typeToString(req.qtype)}`] ?? this.table[req.name] ?? { rcode: Rcode.NXDOMAIN };
    if (typeof action === 'number') return action;
    if (action instanceof PluginError) throw action;
    const m = req.reply();
    m.header.aa = 1;
    m.header.rcode = action.rcode ?? Rcode.NOERROR;
    m.answers.push(...(action.answer ?? []).map(parseRR));
    m.authorities.push(...(action.ns ?? []).map(parseRR));
    m.additionals.push(...(action.extra ?? []).map(parseRR));
    const reply = this.prepared ? PreparedReply.fromMessage(m) : m;
    this.written.push(reply);
    w.write(reply);
    return m.header.rcode;
  }
}
