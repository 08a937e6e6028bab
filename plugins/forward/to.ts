/**
 * The TO list of `forward FROM TO...` (CoreDNS's parse.HostPortOrFile): each entry is an IP
 * address with an optional port (`10.0.0.1`, `10.0.0.1:5353`, `[2001:db8::1]:53`, `::1`), an
 * optional `dns://` in front, or the path of a resolv.conf-style file whose nameservers are
 * used. Files are read here, so at startup and on every reload.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { splitTransport } from '../../src/corefile/address.js';
import { joinHostPort } from './client/pool-options.js';
import { resolvConfServers } from './resolvconf.js';

export interface Upstream {
  /** IP literal (an IPv6 zone, `%eth0`, kept). */
  readonly host: string;
  readonly port: number;
  /** `IP:PORT` as CoreDNS writes it in metrics (`to`) and errors: `10.0.0.1:53`, `[::1]:53`. */
  readonly addr: string;
}

export type ReadFile = (path: string) => string;

const DNS_PORT = 53;

function stripZone(host: string): string {
  const i = host.lastIndexOf('%');
  return i < 0 ? host : host.slice(0, i);
}

function isAddress(host: string): boolean {
  return isIP(stripZone(host)) !== 0;
}

/** Go's net.SplitHostPort: undefined where Go returns an error (missing port, too many colons...). */
export function splitHostPort(s: string): { host: string; port: string } | undefined {
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0 || s[end + 1] !== ':') return undefined;
    const host = s.slice(1, end);
    const port = s.slice(end + 2);
    if (host.includes('[') || port.includes(']') || port.includes('[')) return undefined;
    return { host, port };
  }
  const colon = s.lastIndexOf(':');
  if (colon < 0 || s.indexOf(':') !== colon) return undefined;
  return { host: s.slice(0, colon), port: s.slice(colon + 1) };
}

function upstream(host: string, port: number): Upstream {
  return { host, port, addr: joinHostPort(host, port) };
}

function parsePort(port: string, entry: string): number {
  const n = /^[0-9]{1,5}$/.test(port) ? Number(port) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new Error(`invalid port ${JSON.stringify(port)} in ${JSON.stringify(entry)}`);
  return n;
}

/** Nameservers of a resolv.conf-style file, or undefined when it cannot be read. */
function fromFile(path: string, read: ReadFile): Upstream[] | undefined {
  let text: string;
  try {
    text = read(path);
  } catch {
    return undefined;
  }
  return resolvConfServers(text).map((s) => {
    if (!isAddress(s)) throw new Error(`${path}: nameserver ${JSON.stringify(s)} is not an IP address`);
    return upstream(s, DNS_PORT);
  });
}

/**
 * Upstreams for the TO arguments, in order. Throws with CoreDNS's texts:
 * `not an IP address or file: "x"`, `no nameservers found`, and
 * `'tls' is not supported as a destination protocol in forward: tls://...`.
 */
export function parseTo(entries: readonly string[], read: ReadFile = (p) => readFileSync(p, 'utf8')): Upstream[] {
  const out: Upstream[] = [];
  for (const entry of entries) {
    const { transport, rest } = splitTransport(entry);
    if (transport !== 'dns') {
      const why = transport === 'tls' || transport === 'https' ? ' (exdns forwards over plain DNS, UDP and TCP, only)' : '';
      throw new Error(`'${transport}' is not supported as a destination protocol in forward: ${entry}${why}`);
    }
    if (rest === '') throw new Error(`invalid address: ${JSON.stringify(entry)}`);
    const hp = splitHostPort(rest);
    if (hp !== undefined && isAddress(hp.host)) {
      out.push(upstream(hp.host, parsePort(hp.port, entry)));
      continue;
    }
    if (hp === undefined && isAddress(rest)) {
      out.push(upstream(rest, DNS_PORT));
      continue;
    }
    const servers = fromFile(rest, read);
    if (servers === undefined) {
      // Later CoreDNS releases resolve host names here; exdns wants addresses.
      const hint = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$/.test(rest) && /[A-Za-z]/.test(rest) ? ' (host names are not resolved: use an IP address)' : '';
      throw new Error(`not an IP address or file: ${JSON.stringify(rest)}${hint}`);
    }
    out.push(...servers);
  }
  if (out.length === 0) throw new Error('no nameservers found');
  return out;
}
