/**
 * What the hosts plugin answers from: the entries of the file and those written inline in the
 * Corefile, file first (CoreDNS keeps both and concatenates), plus `*.` wildcard owners. A
 * wildcard covers exactly one label below its parent and only names that have no entry of their
 * own, like the file plugin's wildcards; the parent itself is not covered.
 */
import { parentName } from '../../src/wire/name.js';
import type { HostAddress } from './address.js';
import type { HostsMap } from './hostsfile.js';

function merge<T>(a: readonly T[] | undefined, b: readonly T[] | undefined, same: (x: T, y: T) => boolean): readonly T[] {
  if (a === undefined) return b ?? [];
  if (b === undefined) return a;
  return [...a, ...b.filter((y) => !a.some((x) => same(x, y)))];
}

const sameAddress = (x: HostAddress, y: HostAddress) => x.key === y.key;

export class HostsTable {
  constructor(
    readonly file: HostsMap,
    readonly inline: HostsMap,
  ) {}

  /** coredns_hosts_entries. */
  get size(): number {
    return this.file.size + this.inline.size;
  }

  v4(name: string): readonly HostAddress[] {
    return this.find(name, (m) => m.v4);
  }

  v6(name: string): readonly HostAddress[] {
    return this.find(name, (m) => m.v6);
  }

  /** Names with a PTR for the address with this key; lazily, a sinkhole address has 100 000. */
  *names(addressKey: string): Generator<string> {
    const file = this.file.byAddr.get(addressKey);
    const inline = this.inline.byAddr.get(addressKey);
    if (file !== undefined) yield* file;
    if (inline !== undefined) for (const n of inline) if (file === undefined || !file.has(n)) yield n;
  }

  /** True when the name has an address of either family (its own or a wildcard's). */
  exists(name: string): boolean {
    return this.v4(name).length > 0 || this.v6(name).length > 0;
  }

  private find(name: string, family: (m: HostsMap) => ReadonlyMap<string, readonly HostAddress[]>): readonly HostAddress[] {
    const own = merge(family(this.file).get(name), family(this.inline).get(name), sameAddress);
    if (own.length > 0 || this.hasOwnEntry(name)) return own;
    const parent = parentName(name);
    if (parent === undefined) return own;
    const wildcard = parent === '.' ? '*.' : `*.${parent}`;
    return merge(family(this.file).get(wildcard), family(this.inline).get(wildcard), sameAddress);
  }

  private hasOwnEntry(name: string): boolean {
    for (const m of [this.file, this.inline]) if (m.v4.has(name) || m.v6.has(name)) return true;
    return false;
  }
}
