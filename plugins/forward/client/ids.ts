/**
 * Message IDs for upstream queries. They must be unpredictable (RFC 5452: an off-path attacker
 * has to guess ID and source port), but a crypto call per query is too slow for the hot path,
 * so random bytes are drawn in bulk and handed out two at a time.
 */
import { randomFillSync } from 'node:crypto';

const pool = Buffer.allocUnsafe(4096);
let at = pool.length;

export function randomId(): number {
  if (at >= pool.length) {
    randomFillSync(pool);
    at = 0;
  }
  const id = (pool[at]! << 8) | pool[at + 1]!;
  at += 2;
  return id;
}
