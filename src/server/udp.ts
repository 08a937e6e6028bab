/** The UDP side of a DNS listener: one socket, dual-stack when the host is "every address". */
import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP } from 'node:net';
import type { Client } from '../plugin/request.js';
import { log } from '../log.js';

/** Handles one message; `send` gets the reply bytes, or null when there will be none. */
export type Handle = (raw: Buffer, client: Client, send: (wire: Buffer | null) => void) => void;

export interface UdpOptions {
  host: string;
  port: number;
  reusePort: boolean;
}

const RECV_BUFFER = 8 * 1024 * 1024;

/**
 * One send in this many carries a completion callback, so failures (a firewall rejecting, an
 * unreachable client) reach the log. node:dgram reports a failed send only to a callback, and a
 * callback on every send costs a deferred tick per reply: about 2 µs of CPU per query, a sixth
 * of a prepared answer's whole cost. A lasting failure still shows within a few dozen replies.
 */
const CHECKED_SEND = 64;

function clientFamily(addr: string): { address: string; family: 1 | 2 } {
  if (addr.startsWith('::ffff:') && addr.includes('.')) return { address: addr.slice(7), family: 1 };
  return { address: addr, family: addr.includes(':') ? 2 : 1 };
}

/**
 * The sender of one datagram. The address is unmapped (`::ffff:192.0.2.1` on a dual-stack
 * socket is the IPv4 client 192.0.2.1) only when someone asks: a reply sent straight from a
 * prepared answer never does.
 */
class UdpClient implements Client {
  readonly proto = 'udp';
  private unmapped: { address: string; family: 1 | 2 } | undefined;

  constructor(
    private readonly rinfo: dgram.RemoteInfo,
    readonly localAddress: string,
    readonly localPort: number,
  ) {}

  get remoteAddress(): string {
    return (this.unmapped ??= clientFamily(this.rinfo.address)).address;
  }

  get family(): 1 | 2 {
    return (this.unmapped ??= clientFamily(this.rinfo.address)).family;
  }

  get remotePort(): number {
    return this.rinfo.port;
  }
}

/**
 * Every address a listener binds or sends to is an IP literal (clients' rinfo addresses), so
 * the per-send dns.lookup that node:dgram does by default (a tick and a regex per reply) is
 * skipped; anything else still goes through the resolver.
 */
function literalLookup(
  hostname: string,
  options: dns.LookupOneOptions | number,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  // A colon never appears in a hostname; the kernel rejects a malformed literal at send.
  if (hostname.includes(':')) {
    callback(null, hostname, 6);
    return;
  }
  if (isIP(hostname) === 4) {
    callback(null, hostname, 4);
    return;
  }
  dns.lookup(hostname, typeof options === 'number' ? { family: options } : options, callback);
}

export class UdpListener {
  private socket: dgram.Socket | undefined;
  private accepting = true;
  private sends = 0;

  constructor(
    private readonly opts: UdpOptions,
    private readonly handle: Handle,
  ) {}

  get port(): number {
    return this.socket?.address().port ?? this.opts.port;
  }

  async listen(): Promise<void> {
    const { host, port, reusePort } = this.opts;
    const v6 = host === '' || host.includes(':');
    try {
      this.socket = await this.bind(v6 ? 'udp6' : 'udp4', host === '' ? '::' : host, port, reusePort);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (host !== '' || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) {
        throw new Error(`listen udp ${host.includes(':') ? `[${host}]` : host}:${port}: ${(e as Error).message}`);
      }
      // No IPv6 on this machine: every address means every IPv4 address.
      this.socket = await this.bind('udp4', '0.0.0.0', port, reusePort);
    }
  }

  private bind(type: 'udp4' | 'udp6', address: string, port: number, reusePort: boolean): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const s = dgram.createSocket({ type, reuseAddr: true, reusePort, ipv6Only: false, lookup: literalLookup });
      s.once('error', reject);
      s.bind({ address, port, exclusive: true }, () => {
        s.off('error', reject);
        try {
          s.setRecvBufferSize(RECV_BUFFER);
          s.setSendBufferSize(RECV_BUFFER);
        } catch {
          // The kernel caps these (net.core.rmem_max); the default still works.
        }
        const local = s.address();
        s.on('error', (err) => log.error(`udp ${local.address}:${local.port}: ${err.message}`));
        s.on('message', (msg, rinfo) => this.onMessage(s, msg, rinfo, local.address, local.port));
        resolve(s);
      });
    });
  }

  /** Stops reading new queries; replies to queries in flight can still be sent. */
  stopAccepting(): void {
    this.accepting = false;
  }

  private onMessage(s: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo, localAddress: string, localPort: number): void {
    if (!this.accepting) return;
    const client = new UdpClient(rinfo, localAddress, localPort);
    const send = (wire: Buffer | null) => {
      if (wire === null) return;
      if (++this.sends % CHECKED_SEND !== 0) {
        s.send(wire, rinfo.port, rinfo.address);
        return;
      }
      s.send(wire, rinfo.port, rinfo.address, (err) => {
        if (err) log.error(`udp send to ${rinfo.address}:${rinfo.port}: ${err.message}`);
      });
    };
    try {
      this.handle(msg, client, send);
    } catch (e) {
      log.error(`udp: ${(e as Error).message}`);
    }
  }

  close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (!s) return Promise.resolve();
    return new Promise((r) => s.close(() => r()));
  }
}

export { clientFamily };
