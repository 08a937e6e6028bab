/**
 * any answers qtype ANY with the RFC 8482 HINFO record instead of every RRset of the name;
 * everything else goes to the next plugin.
 */
import { nextOrFailure, type Handler } from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import type { ResponseWriter } from '../../src/plugin/writer.js';
import { QType } from '../../src/wire/constants.js';
import { newMessage, rr, toDns2Name, type Question } from '../../src/wire/message.js';

/** TTL of the synthesized HINFO, as in RFC 8482 §4.2's example and CoreDNS. */
export const HINFO_TTL = 8482;

export class Any implements Handler {
  readonly name = 'any';

  constructor(private readonly next: Handler | undefined) {}

  async serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    if (req.qtype !== QType.ANY) return nextOrFailure(this.name, this.next, req, w);

    const q = req.query;
    const qname = req.qname;
    const m = newMessage();
    const h = m.header;
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
    m.questions.push({ name: toDns2Name(qname), type: req.qtype, class: req.qclass } as Question);
    m.answers.push(rr.hinfo(qname, HINFO_TTL, 'ANY obsoleted', 'See RFC 8482'));
    w.write(m);
    return 0;
  }
}
