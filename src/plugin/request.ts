/**
 * Per-query state handed down the plugin chain (CoreDNS's request.Request): the parsed query,
 * who sent it and over what, plus lazily computed views. Plugins read; only rewrite derives a
 * changed request (withWire).
 */
import { MIN_UDP_PAYLOAD } from '../wire/constants.js';
import { decodeMessage, newMessage, toDns2Name, type Message, type Question } from '../wire/message.js';
import { parseQuery, Query } from '../wire/query.js';

export type Proto = 'udp' | 'tcp';

export interface Client {
  readonly proto: Proto;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** 1 = IPv4, 2 = IPv6 (CoreDNS's family label). */
  readonly family: 1 | 2;
  readonly localAddress: string;
  readonly localPort: number;
}

export class Request {
  /** Zone of the server block that routed this query (set by the server). */
  zone = '.';
  /** Name of the plugin currently running; lets the writer record who wrote the reply. */
  plugin = '';
  private decoded: Message | undefined;
  private meta: Map<string, string> | undefined;

  constructor(
    readonly query: Query,
    readonly client: Client,
    /** Listener label as CoreDNS's `server` metric label, e.g. "dns://:53". */
    readonly server: string,
    /** performance.now() when the query was read. */
    readonly start: number,
  ) {}

  /** Lowercased FQDN. */
  get name(): string {
    return this.query.name;
  }
  /** Question name with the client's case. */
  get qname(): string {
    return this.query.originalName;
  }
  get qtype(): number {
    return this.query.qtype;
  }
  get qclass(): number {
    return this.query.qclass;
  }
  get id(): number {
    return this.query.id;
  }
  get proto(): Proto {
    return this.client.proto;
  }
  get ip(): string {
    return this.client.remoteAddress;
  }
  get port(): number {
    return this.client.remotePort;
  }
  get family(): 1 | 2 {
    return this.client.family;
  }
  /** DO bit of the query's OPT. */
  get do(): boolean {
    return this.query.edns?.do ?? false;
  }
  /** Raw query size in bytes. */
  get len(): number {
    return this.query.raw.length;
  }
  /**
   * Buffer size the client can take: 65535 on TCP, otherwise the EDNS size (at least 512), or 512.
   * (CoreDNS's state.Size(); the writer additionally caps UDP at 1232.)
   */
  get size(): number {
    if (this.client.proto === 'tcp') return 0xffff;
    const s = this.query.edns?.udpSize ?? MIN_UDP_PAYLOAD;
    return s < MIN_UDP_PAYLOAD ? MIN_UDP_PAYLOAD : s;
  }

  /** The whole query decoded (dns2 Packet); cached. */
  message(): Message {
    if (this.decoded === undefined) this.decoded = decodeMessage(this.query.raw);
    return this.decoded;
  }

  /** A reply skeleton (miekg's SetReply): ID, opcode, RD, CD and the client's question. */
  reply(): Message {
    const m = newMessage();
    const h = m.header;
    const q = this.query;
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
    m.questions.push({ name: toDns2Name(this.qname), type: q.qtype, class: q.qclass } as Question);
    return m;
  }

  metadata(key: string): string | undefined {
    return this.meta?.get(key);
  }
  setMetadata(key: string, value: string): void {
    (this.meta ??= new Map()).set(key, value);
  }

  /**
   * A request for other wire bytes of the same query (rewrite's EDNS0 rules also change the OPT
   * record): same client, zone and metadata. The original request keeps the client's query.
   */
  withWire(raw: Buffer): Request {
    const q = parseQuery(raw);
    if (!(q instanceof Query)) throw new Error(`rewritten query is invalid: ${q.reason}`);
    const r = new Request(q, this.client, this.server, this.start);
    r.zone = this.zone;
    r.plugin = this.plugin;
    r.meta = this.meta;
    return r;
  }
}
