/** Zones in RFC 1035 master-file form, for `exdns records`: what the server would answer. */
import { typeToString } from '../../src/wire/constants.js';
import type { AnswerTable } from './gateway.js';
import { SOA_TTL } from './answers.js';
import { rdataText, type RecordSet } from './records.js';

/** Canonical DNS order (RFC 4034 §6.1): compare labels from the right. */
function canonicalCompare(a: string, b: string): number {
  const la = a.split('.').reverse();
  const lb = b.split('.').reverse();
  for (let i = 0; i < Math.min(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return la[i]! < lb[i]! ? -1 : 1;
  }
  return la.length - lb.length;
}

export function zoneListing(table: AnswerTable, zones: readonly string[]): string {
  const byZone = new Map<string, [string, RecordSet][]>(zones.map((z) => [z, []]));
  for (const entry of table.index.entries()) {
    const zone = table.zoneOf(entry[0]);
    if (zone !== undefined) byZone.get(zone)?.push(entry);
  }
  const out: string[] = [];
  for (const zone of zones) {
    const z = table.zoneAnswers(zone);
    if (z === undefined) continue;
    out.push(`$ORIGIN ${zone}`, z.soaRecord);
    for (const ns of z.servers) out.push(`${zone} ${SOA_TTL} IN NS ${ns}`);
    const names = byZone.get(zone)!.sort(([a], [b]) => canonicalCompare(a, b));
    for (const [name, rs] of names) {
      for (const set of rs.values()) {
        for (const d of set.data) out.push(`${name} ${set.ttl} IN ${typeToString(set.type)} ${rdataText(set.type, d)}`);
      }
    }
    out.push('');
  }
  return out.join('\n');
}
