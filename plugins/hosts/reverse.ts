/**
 * The address a reverse name stands for (CoreDNS's dnsutil.ExtractAddressFromReverse): four
 * decimal labels under in-addr.arpa, or 32 nibble labels under ip6.arpa. Partial reverse names
 * (`2.0.192.in-addr.arpa.`) name no single address.
 */
import { fromBytes, type HostAddress } from './address.js';
import { ipv4Bytes } from '../../src/wire/ip.js';

const V4_SUFFIX = '.in-addr.arpa.';
const V6_SUFFIX = '.ip6.arpa.';

/** `name` is a lowercase FQDN. */
export function addressFromReverse(name: string): HostAddress | undefined {
  if (name.endsWith(V4_SUFFIX)) {
    const labels = name.slice(0, -V4_SUFFIX.length).split('.');
    if (labels.length !== 4) return undefined;
    const raw = ipv4Bytes(labels.reverse().join('.'));
    return raw === undefined ? undefined : fromBytes(raw);
  }
  if (name.endsWith(V6_SUFFIX)) {
    const labels = name.slice(0, -V6_SUFFIX.length).split('.');
    if (labels.length !== 32 || !labels.every((l) => /^[0-9a-f]$/.test(l))) return undefined;
    return fromBytes(Buffer.from(labels.reverse().join(''), 'hex'));
  }
  return undefined;
}
