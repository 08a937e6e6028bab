/**
 * hosts answers A, AAAA and PTR queries from /etc/hosts-style entries, as CoreDNS's hosts
 * plugin does:
 *
 * - names outside its zones go to the next plugin (PTR queries are looked up whatever the zone);
 * - a PTR query with no entry for the address always goes to the next plugin;
 * - a name with addresses answers NOERROR with AA, NODATA for the other family and other types;
 * - a name without any address falls through when `fallthrough` covers it, and is otherwise
 *   SERVFAIL (there is no SOA to build an NXDOMAIN with);
 * - with `fallthrough_unsupported`, types other than A, AAAA and PTR for a known name go to the
 *   next plugin when `fallthrough` covers the name.
 *
 * Records are owned by the lowercased question name, as in CoreDNS.
 */
import { nextOrFailure, type Handler } from '../../src/plugin/plugin.js';
import type { Fallthrough } from '../../src/plugin/fallthrough.js';
import type { Request } from '../../src/plugin/request.js';
import type { ResponseWriter } from '../../src/plugin/writer.js';
import { Flag, HEADER_SIZE, QType, Rcode } from '../../src/wire/constants.js';
import { encodeName, isSubdomain } from '../../src/wire/name.js';
import { PreparedReply } from '../../src/wire/reply.js';
import { RRWriter } from '../../src/wire/rrwriter.js';
import type { HostAddress } from './address.js';
import { addressFromReverse } from './reverse.js';
import type { HostsTable } from './table.js';

export interface HostsOptions {
  /** Lowercase FQDNs the plugin is authoritative for. */
  readonly zones: readonly string[];
  readonly ttl: number;
  readonly fallthrough: Fallthrough;
  readonly fallthroughUnsupported: boolean;
}

/** Largest message, less the room the server may need for an OPT record (11 bytes). */
const MAX_MESSAGE = 0xffff - 11;

export class Hosts implements Handler {
  readonly name = 'hosts';

  constructor(
    /** The current entries; replaced as the file changes. */
    private readonly table: () => HostsTable,
    private readonly opts: HostsOptions,
    private readonly next: Handler | undefined,
  ) {}

  async serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    const qname = req.name;
    const qtype = req.qtype;
    const table = this.table();

    if (qtype !== QType.PTR && !this.opts.zones.some((z) => isSubdomain(z, qname))) return this.pass(req, w);

    const out = new RRWriter(req.query.questionEnd);
    switch (qtype) {
      case QType.PTR:
        if (!this.ptr(out, req, table)) return this.pass(req, w);
        break;
      case QType.A:
        this.addresses(out, qname, QType.A, table.v4(qname));
        break;
      case QType.AAAA:
        this.addresses(out, qname, QType.AAAA, table.v6(qname));
        break;
    }

    if (out.count === 0) {
      const through = this.opts.fallthrough.through(qname);
      if (!table.exists(qname)) return through ? this.pass(req, w) : Rcode.SERVFAIL;
      if (through && this.opts.fallthroughUnsupported && qtype !== QType.A && qtype !== QType.AAAA) return this.pass(req, w);
    }

    w.write(new PreparedReply(Flag.AA, out.count, 0, 0, out.finish(), req.query.questionEnd - HEADER_SIZE));
    return Rcode.NOERROR;
  }

  private addresses(out: RRWriter, qname: string, type: number, addrs: readonly HostAddress[]): void {
    for (const a of addrs) out.rr(qname, type, this.opts.ttl, a.bytes);
  }

  /**
   * PTR records for the address a reverse name stands for; false when it has none. Names past
   * what fits in a 64 KiB message are left out: they could never be sent, and a sinkhole address
   * of a blocklist would otherwise cost 100 000 records per query.
   */
  private ptr(out: RRWriter, req: Request, table: HostsTable): boolean {
    const addr = addressFromReverse(req.name);
    if (addr === undefined) return false;
    const room = MAX_MESSAGE - req.query.questionEnd;
    for (const name of table.names(addr.key)) {
      const target = encodeName(name);
      // An owner after the first is a 2-byte pointer; 10 bytes of type, class, TTL and length.
      if (out.length + 12 + target.length > room) break;
      out.rr(req.name, QType.PTR, this.opts.ttl, target);
    }
    return out.count > 0;
  }

  private pass(req: Request, w: ResponseWriter): Promise<number> {
    return nextOrFailure(this.name, this.next, req, w);
  }
}
