/**
 * What kind of reply the cache sees and how long it may keep it: CoreDNS's response.Typify with
 * the cache's own refinements (cacheResponseType, key, computeTTL in plugin/cache/cache.go).
 */
import { Rcode } from '../../src/wire/constants.js';
import type { Config } from './setup.js';

export type ResponseType = 'noerror' | 'delegation' | 'nxdomain' | 'nodata' | 'servfail' | 'other';

export interface ReplyFacts {
  readonly rcode: number;
  readonly ancount: number;
  readonly authoritySoa: boolean;
  readonly authorityNs: number;
  /** Lazily: whether the answer section answers the question (only asked for NOERROR with answers). */
  answers(): boolean;
}

/** response.Typify (opcode and zone-transfer cases are handled by the caller), then NOERROR-with-SOA-that-answers-nothing as NODATA. */
export function responseType(f: ReplyFacts): ResponseType {
  const ok = f.rcode === Rcode.NOERROR;
  if (f.ancount > 0 && ok) return f.authoritySoa && !f.answers() ? 'nodata' : 'noerror';
  if (f.authoritySoa && ok) return 'nodata';
  if (f.authoritySoa && f.rcode === Rcode.NXDOMAIN) return 'nxdomain';
  if (f.rcode === Rcode.SERVFAIL || f.rcode === Rcode.NOTIMP) return 'servfail';
  if (f.authorityNs > 0 && ok) return 'delegation';
  if (ok) return 'noerror';
  return 'other';
}

/**
 * Whether a reply of this type may be stored. A NOERROR whose answers never reach the queried
 * type and that has no SOA to bound it is an incomplete answer (RFC 2308 §5): not cached.
 */
export function cacheable(type: ResponseType, f: ReplyFacts): boolean {
  if (type === 'other') return false;
  if (type === 'noerror' && !f.authoritySoa && f.ancount > 0 && !f.answers()) return false;
  return true;
}

/** The tier a reply type is stored in. */
export function tierOf(type: ResponseType): 'success' | 'denial' {
  return type === 'nxdomain' || type === 'nodata' || type === 'servfail' ? 'denial' : 'success';
}

/** CoreDNS's fallback when a reply carries no TTL worth reading (dnsutil.MinimalDefaultTTL). */
const MINIMAL_DEFAULT_TTL = 5;

/**
 * Seconds the reply lives in the cache, and the TTL every one of its records is rewritten to:
 * the lowest record TTL clamped to the tier's [min, max]; a fixed `servfail` for SERVFAIL.
 */
export function lifetime(type: ResponseType, minRecordTtl: number | undefined, config: Config): number {
  if (type === 'servfail') return config.servfail / 1000;
  const t = type === 'nxdomain' || type === 'nodata' ? config.denial : config.success;
  const readable = type === 'noerror' || type === 'nxdomain' || type === 'nodata';
  const msgTtl = readable && minRecordTtl !== undefined ? Math.min(minRecordTtl, t.maxTtl) : MINIMAL_DEFAULT_TTL;
  return Math.min(Math.max(msgTtl, t.minTtl), t.maxTtl);
}
