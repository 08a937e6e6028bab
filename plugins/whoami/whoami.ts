/**
 * whoami answers every query with the client's address, port and transport: an empty answer,
 * and in the additional section an A or AAAA record for the client IP plus an SRV record
 * `_<proto>.<qname>` carrying the client port. It is terminal and never calls next.
 */
import type { Handler } from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import type { ResponseWriter } from '../../src/plugin/writer.js';
import { Flag, HEADER_SIZE, QClass, QType } from '../../src/wire/constants.js';
import { ipv4Bytes, ipv6Bytes } from '../../src/wire/ip.js';
import { PreparedReply } from '../../src/wire/reply.js';
import { rr, type Resource } from '../../src/wire/message.js';

export const name = 'whoami';

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

/**
 * The reply is encoded straight to wire form (this is the benchmarked path): both records are
 * owned by the question name through the pointer 0xc00c, so the client's casing shows.
 */
function whoamiTail(req: Request): { tail: Buffer; count: number } | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(req.ip);
  const ip = mapped ? mapped[1]! : req.ip;
  const v4 = ipv4Bytes(ip);
  const addr = v4 ?? ipv6Bytes(ip);
  if (addr === undefined) return undefined;
  const proto = req.proto === 'tcp' ? TCP_LABEL : UDP_LABEL;
  const addrLen = 12 + addr.length;
  const tail = Buffer.allocUnsafe(addrLen + proto.length + 2 + 10 + 7);
  tail.writeUInt16BE(0xc00c, 0);
  tail.writeUInt16BE(v4 ? QType.A : QType.AAAA, 2);
  tail.writeUInt16BE(QClass.IN, 4);
  tail.writeUInt32BE(0, 6);
  tail.writeUInt16BE(addr.length, 10);
  addr.copy(tail, 12);
  let o = addrLen;
  proto.copy(tail, o);
  o += proto.length;
  tail.writeUInt16BE(0xc00c, o);
  tail.writeUInt16BE(QType.SRV, o + 2);
  tail.writeUInt16BE(QClass.IN, o + 4);
  tail.writeUInt32BE(0, o + 6);
  tail.writeUInt16BE(7, o + 10);
  tail.writeUInt32BE(0, o + 12); // priority 0, weight 0
  tail.writeUInt16BE(req.port, o + 16);
  tail[o + 18] = 0; // target "."
  return { tail, count: 2 };
}

const UDP_LABEL = Buffer.from('\x04_udp', 'latin1');
const TCP_LABEL = Buffer.from('\x04_tcp', 'latin1');

export class Whoami implements Handler {
  readonly name = name;

  async serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    const fast = whoamiTail(req);
    if (fast !== undefined) {
      w.write(new PreparedReply(Flag.AA, 0, 0, fast.count, fast.tail, req.query.questionEnd - HEADER_SIZE));
      return 0;
    }
    const m = req.reply();
    m.header.aa = 1;
    const qname = req.qname;
    const srvName = qname === '.' ? `_${req.proto}.` : `_${req.proto}.${qname}`;
    m.additionals.push(addressRecord(qname, req.ip), rr.srv(srvName, 0, 0, 0, req.port, '.'));
    w.write(m);
    return 0;
  }
}
