/**
 * The success and denial caches of one cache instance: lru-cache maps from the query key to an
 * Entry, with CoreDNS's lookup order (denial first, but a cached SERVFAIL never hides a usable
 * positive entry) and its request, hit, miss, entry and eviction counters.
 */
import { LRUCache } from 'lru-cache';
import { isSubdomain } from '../../src/wire/name.js';
import { Rcode } from '../../src/wire/constants.js';
import type { Entry } from './entry.js';
import type { CacheCounters, CacheType } from './metrics.js';
import type { Config } from './setup.js';

/** DO, CD, qtype, qclass and the lowercased name: what makes two queries share an entry. */
export function cacheKey(name: string, qtype: number, qclass: number, dnssecOk: boolean, cd: boolean): string {
  return `${dnssecOk ? '1' : '0'}${cd ? '1' : '0'}${qtype}/${qclass}/${name}`;
}

function inZones(zones: readonly string[], name: string): boolean {
  for (const z of zones) if (isSubdomain(z, name)) return true;
  return false;
}

export class CacheStore {
  private readonly success: LRUCache<string, Entry>;
  private readonly denial: LRUCache<string, Entry>;
  /** Whole seconds an expired entry stays servable (CoreDNS truncates the duration). */
  private readonly staleSeconds: number;

  constructor(private readonly config: Config) {
    this.success = new LRUCache<string, Entry>({ max: config.success.capacity });
    this.denial = new LRUCache<string, Entry>({ max: config.denial.capacity });
    this.staleSeconds = Math.trunc(config.staleUpTo / 1000);
  }

  /** Fresh, or expired but within the serve_stale window. */
  private usable(e: Entry, now: number): boolean {
    const ttl = e.ttl(now);
    return ttl > 0 || (this.staleSeconds > 0 && -ttl < this.staleSeconds);
  }

  /**
   * The entry to answer from, counting the request and the hit or miss. Entries past any use are
   * dropped on the way (CoreDNS leaves them to random eviction).
   */
  lookup(key: string, now: number, m: CacheCounters): Entry | undefined {
    m.requests.inc();
    if (this.denial.size > 0) {
      const n = this.denial.get(key);
      if (n !== undefined) {
        if (this.usable(n, now)) {
          // SERVFAIL is transient: a usable positive entry wins over it.
          if (n.rcode === Rcode.SERVFAIL) {
            const p = this.success.get(key);
            if (p !== undefined && this.usable(p, now)) {
              m.successHits.inc();
              return p;
            }
          }
          m.denialHits.inc();
          return n;
        }
        this.denial.delete(key);
        m.denialEntries.set(this.denial.size);
      }
    }
    const p = this.success.get(key);
    if (p !== undefined) {
      if (this.usable(p, now)) {
        m.successHits.inc();
        return p;
      }
      this.success.delete(key);
      m.successEntries.set(this.success.size);
    }
    m.misses.inc();
    return undefined;
  }

  /**
   * `lookup` for the one case the server's shortcut serves: an entry that is fresh (not stale)
   * and not a SERVFAIL. Then it counts exactly as `lookup` does; otherwise it returns undefined
   * having counted nothing (an entry's recency may have been refreshed), and the full path does
   * the work.
   */
  freshHit(key: string, now: number, m: CacheCounters): Entry | undefined {
    const n = this.denial.size > 0 ? this.denial.get(key) : undefined;
    const e = n ?? this.success.get(key);
    if (e === undefined || e.ttl(now) <= 0 || e.rcode === Rcode.SERVFAIL) return undefined;
    m.requests.inc();
    if (e === n) m.denialHits.inc();
    else m.successHits.inc();
    return e;
  }

  /** The entry under `key` without touching recency or counters (denial first, as lookup). */
  peek(key: string): Entry | undefined {
    return this.denial.peek(key) ?? this.success.peek(key);
  }

  /**
   * Stores an entry unless its zone is `disable`d for that tier. A positive entry from a
   * prefetch also removes the denial entry of the key: the name exists now.
   */
  put(key: string, name: string, type: CacheType, e: Entry, m: CacheCounters, fromPrefetch: boolean): void {
    const cfg = this.config;
    if (type === 'success') {
      if (inZones(cfg.disableSuccess, name)) return;
      if (this.add(this.success, key, e)) m.successEvictions.inc();
      if (fromPrefetch && this.denial.delete(key)) m.denialEntries.set(this.denial.size);
    } else {
      if (inZones(cfg.disableDenial, name)) return;
      if (this.add(this.denial, key, e)) m.denialEvictions.inc();
    }
    m.successEntries.set(this.success.size);
    m.denialEntries.set(this.denial.size);
  }

  /** Sets `key`; true when that pushed the least recently used entry out. */
  private add(lru: LRUCache<string, Entry>, key: string, e: Entry): boolean {
    const evicts = lru.size >= lru.max && !lru.has(key);
    lru.set(key, e);
    return evicts;
  }

  get sizes(): { success: number; denial: number } {
    return { success: this.success.size, denial: this.denial.size };
  }
}
