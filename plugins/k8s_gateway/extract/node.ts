/**
 * Node (`v1`): the node's `Hostname` address names its addresses of the configured type
 * (`nodeAddressType`, IPv4 and IPv6 alike). A node that reports no Hostname has no name.
 */
import { normalizeHostname } from '../names.js';
import { EMPTY_EXTRACTION, type Extractor, type Problem, type Target } from '../types.js';
import { array, classAwareTtl, field, ipTarget, isIgnored, nameContribution, str, uniqueTargets } from './common.js';

export const extractNode: Extractor = (obj, _ctx, opts) => {
  if (isIgnored(obj)) return EMPTY_EXTRACTION;
  const addresses = array(field(obj.status, 'addresses'));
  const hostname = addressesOfType(addresses, 'Hostname')[0];
  if (hostname === undefined) return EMPTY_EXTRACTION;
  const problems: Problem[] = [];
  // Node names are plain: a `*.` Hostname is refused here, so the wildcard depth below never applies.
  const n = normalizeHostname(hostname);
  if (!n.ok) return { names: [], problems: [{ reason: 'invalid_name', detail: `Hostname address: ${n.error}` }] };
  const targets: Target[] = [];
  for (const raw of addressesOfType(addresses, opts.nodeAddressType)) {
    const t = ipTarget(raw, problems);
    if (t) targets.push(t);
  }
  // Names without targets are left out so they cannot shadow another object's records.
  if (targets.length === 0) return { names: [], problems };
  const ttl = classAwareTtl(obj, opts.gardenerClass, problems);
  return { names: [nameContribution(n.name, uniqueTargets(targets), ttl, 'one')], problems };
};

/** The non-empty `address` texts of `status.addresses[]` entries of one type, in order. */
function addressesOfType(addresses: readonly unknown[], type: string): string[] {
  const out: string[] = [];
  for (const a of addresses) {
    if (field(a, 'type') !== type) continue;
    const v = str(field(a, 'address'));
    if (v !== undefined && v !== '') out.push(v);
  }
  return out;
}
