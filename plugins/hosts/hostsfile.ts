/**
 * hosts(5) text to lookup maps, as CoreDNS reads it: `#` starts a comment anywhere on a line,
 * fields are split on whitespace, the first field is an address (lines whose first field is not
 * one, or that name no host, are skipped) and every further field is a name. Names are
 * lowercased and made fully qualified; names outside the plugin's zones are dropped.
 */
import { checkName, isSubdomain, normalizeName } from '../../src/wire/name.js';
import { parseLiteralIP, type HostAddress } from './address.js';

export interface HostsMap {
  /** Lowercase FQDN to its IPv4 addresses (IPv4-mapped IPv6 included), in file order. */
  readonly v4: ReadonlyMap<string, readonly HostAddress[]>;
  readonly v6: ReadonlyMap<string, readonly HostAddress[]>;
  /**
   * Address key to the names that get a PTR record for it, in file order. A set: blocklists point
   * 100 000 names at 0.0.0.0.
   */
  readonly byAddr: ReadonlyMap<string, ReadonlySet<string>>;
  /** CoreDNS's count for coredns_hosts_entries: addresses by name plus names by address. */
  readonly size: number;
}

export const EMPTY_HOSTS: HostsMap = { v4: new Map(), v6: new Map(), byAddr: new Map(), size: 0 };

export interface ParseOptions {
  /** Lowercase FQDNs the plugin is authoritative for. */
  readonly zones: readonly string[];
  /** Generate PTR data (`no_reverse` turns it off). */
  readonly autoReverse: boolean;
}

/** Adds an address to a name's list, once: a repeated line must not repeat an RR (RFC 2181 §5). */
function addAddress(m: Map<string, HostAddress[]>, name: string, addr: HostAddress): boolean {
  const list = m.get(name);
  if (list === undefined) m.set(name, [addr]);
  else if (list.includes(addr)) return false;
  else list.push(addr);
  return true;
}

/** checkName's verdict, without encoding the usual plain name (large files hold 100 000 of them). */
function encodable(name: string): boolean {
  if (!/^[\x21-\x5b\x5d-\x7e]+$/.test(name)) return checkName(name) === undefined;
  if (name.length > 254) return false;
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) !== 0x2e) continue;
    const len = i - start;
    if (len === 0) return name === '.';
    if (len > 63) return false;
    start = i + 1;
  }
  return true;
}

/** Reads hosts-file text one line at a time. */
export class HostsParser {
  private readonly v4 = new Map<string, HostAddress[]>();
  private readonly v6 = new Map<string, HostAddress[]>();
  private readonly byAddr = new Map<string, Set<string>>();
  /**
   * One object per distinct address (large files repeat a handful of addresses, in few
   * spellings), so a name's list can be checked for an address by identity.
   */
  private readonly byText = new Map<string, HostAddress | undefined>();
  private readonly byKey = new Map<string, HostAddress>();
  private size = 0;

  constructor(private readonly opts: ParseOptions) {}

  line(raw: string): void {
    const hash = raw.indexOf('#');
    const line = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (line === '') return;
    const fields = line.split(/\s+/);
    if (fields.length < 2) return;
    const addr = this.address(fields[0]!);
    if (addr === undefined) return;
    const byName = addr.bytes.length === 4 ? this.v4 : this.v6;
    for (let i = 1; i < fields.length; i++) {
      const name = normalizeName(fields[i]!);
      // A name that cannot be put on the wire could never be answered.
      if (!this.opts.zones.some((z) => isSubdomain(z, name)) || !encodable(name)) continue;
      if (addAddress(byName, name, addr)) this.size++;
      // A wildcard stands for many names, none of which is the name of this address.
      if (!this.opts.autoReverse || name.startsWith('*.')) continue;
      let names = this.byAddr.get(addr.key);
      if (names === undefined) this.byAddr.set(addr.key, (names = new Set()));
      if (!names.has(name)) {
        names.add(name);
        this.size++;
      }
    }
  }

  finish(): HostsMap {
    return { v4: this.v4, v6: this.v6, byAddr: this.byAddr, size: this.size };
  }

  private address(text: string): HostAddress | undefined {
    if (this.byText.has(text)) return this.byText.get(text);
    const parsed = parseLiteralIP(text);
    const addr = parsed === undefined ? undefined : (this.byKey.get(parsed.key) ?? parsed);
    if (addr !== undefined) this.byKey.set(addr.key, addr);
    this.byText.set(text, addr);
    return addr;
  }
}

export function parseHosts(text: string, opts: ParseOptions): HostsMap {
  const p = new HostsParser(opts);
  for (const line of text.split('\n')) p.line(line);
  return p.finish();
}

/** Lines parsed between two turns of the event loop. */
const SLICE = 10_000;

/**
 * parseHosts for a file being reloaded while the server answers: a blocklist of 200 000 lines
 * takes the best part of a second, which must not hold up queries.
 */
export async function parseHostsInSlices(text: string, opts: ParseOptions): Promise<HostsMap> {
  const p = new HostsParser(opts);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (i > 0 && i % SLICE === 0) await new Promise<void>((r) => setImmediate(r));
    p.line(lines[i]!);
  }
  return p.finish();
}
