/**
 * whoami answers every query with the client's address, port and transport: an empty answer,
 * and in the additional section an A or AAAA record for the client IP plus an SRV record
 * `_<proto>.<qname>` carrying the client port. It is terminal and never calls next.
 */
import type { Handler } from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import type { ResponseWriter } from '../../src/plugin/writer.js';
import { newMessage, rr, toDns2Name, type Message, type Question, type Resource } from '../../src/wire/message.js';

export const name = 'whoami';

/** A reply skeleton for `req` (miekg's SetReply): ID, opcode, RD, CD and the question copied. */
export function replyTo(req: Request): Message {
  const m = newMessage();
  const h = m.header;
  const q = req.query;
  h.id = q.id;
  h.qr = 1;
  h.opcode = q.opcode;
  h.aa = 0;
  h.tc = 0;
  h.rd = q.rd ? 1 : 0;
  h.ra = 0;
  h.z = 0;
  h.ad = 0;
  h.cd = q.cd ? 1 : 0;
  h.rcode = 0;
  m.questions.push({ name: toDns2Name(req.qname), type: req.qtype, class: req.qclass } as Question);
  return m;
}

/** The client's address as A (IPv4, including IPv4-mapped IPv6) or AAAA (IPv6). */
function addressRecord(owner: string, ip: string): Resource {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return rr.a(owner, 0, mapped[1]!);
  if (ip.includes(':')) {
    const zone = ip.indexOf('%');
    return rr.aaaa(owner, 0, zone < 0 ? ip : ip.slice(0, zone));
  }
  return rr.a(owner, 0, ip);
}

export class Whoami implements Handler {
  readonly name = name;

  async serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    const m = replyTo(req);
    m.header.aa = 1;
    const qname = req.qname;
    const srvName = qname === '.' ? `_${req.proto}.` : `_${req.proto}.${qname}`;
    m.additionals.push(addressRecord(qname, req.ip), rr.srv(srvName, 0, 0, 0, req.port, '.'));
    w.write(m);
    return 0;
  }
}
