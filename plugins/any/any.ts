/**
 * any answers qtype ANY with the RFC 8482 HINFO record instead of every RRset of the name;
 * everything else goes to the next plugin.
 */
import { nextOrFailure, type Handler } from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import type { ResponseWriter } from '../../src/plugin/writer.js';
import { QType } from '../../src/wire/constants.js';
import { rr } from '../../src/wire/message.js';

/** TTL of the synthesized HINFO, as in RFC 8482 §4.2's example and CoreDNS. */
export const HINFO_TTL = 8482;

export class Any implements Handler {
  readonly name = 'any';

  constructor(private readonly next: Handler | undefined) {}

  async serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    if (req.qtype !== QType.ANY) return nextOrFailure(this.name, this.next, req, w);

    const qname = req.qname;
    const m = req.reply();
    m.answers.push(rr.hinfo(qname, HINFO_TTL, 'ANY obsoleted', 'See RFC 8482'));
    w.write(m);
    return 0;
  }
}
