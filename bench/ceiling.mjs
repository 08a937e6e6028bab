// The "Node ceiling" (perf-anchors.md, resp.js): a raw node:dgram responder that answers every
// query from precomputed buffers: ID copied, QR+AA set and RD copied, the question copied as
// sent (0x20 case kept), a prepared tail appended. exdns is measured against it in the same run.
//
// usage: node bench/ceiling.mjs PORT [ZONE.json]
//
// With a zone (bench/k8s-data.mjs zoneRecords: the names exdns serves in that run), it does
// what resp.js does and what any server of a zone must: it looks the lowercased wire name and
// type up in a Map of prepared answers; a name without that type gets NODATA and an unknown
// name in the zone NXDOMAIN, both with the SOA; a name outside the zone REFUSED. Without a zone
// (the whoami path, which looks nothing up either), every query gets one fixed A answer.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';

const port = Number(process.argv[2] ?? 5399);
const zoneFile = process.argv[3];
const TTL = 60;

function wireName(name) {
  const parts = name.split('.').filter(Boolean);
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])), Buffer.from([0])]);
}
function rr(owner, type, ttl, rdata) {
  const h = Buffer.alloc(10);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(1, 2);
  h.writeUInt32BE(ttl, 4);
  h.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, h, rdata]);
}
const v4 = (ip) => Buffer.from(ip.split('.').map(Number));
function v6(ip) {
  const [l, r = ''] = ip.split('::');
  const L = l ? l.split(':') : [];
  const R = r ? r.split(':') : [];
  const g = [...L, ...Array(8 - L.length - R.length).fill('0'), ...R];
  const b = Buffer.alloc(16);
  g.forEach((x, i) => b.writeUInt16BE(parseInt(x, 16), i * 2));
  return b;
}
/** Header bytes 2..11 (flags, counts) and the sections after the question. */
function answer(rcode, an, ns, tail) {
  const hdr = Buffer.alloc(10);
  hdr[0] = 0x84;
  hdr[1] = rcode;
  hdr.writeUInt16BE(1, 2);
  hdr.writeUInt16BE(an, 4);
  hdr.writeUInt16BE(ns, 6);
  return { hdr, tail };
}
const POINTER = Buffer.from([0xc0, 0x0c]);

let lookup;
if (zoneFile === undefined) {
  const fixed = answer(0, 1, 0, rr(POINTER, 1, 0, v4('127.0.0.1')));
  lookup = () => fixed;
} else {
  const zone = JSON.parse(readFileSync(zoneFile, 'utf8'));
  const origin = wireName(zone.origin);
  const soaData = Buffer.concat([wireName(`ns1.${zone.origin}`), wireName(`hostmaster.${zone.origin}`), Buffer.alloc(20, 1)]);
  const soa = rr(origin, 6, TTL, soaData);
  const NODATA = answer(0, 0, 1, soa);
  const NXDOMAIN = answer(3, 0, 1, soa);
  const REFUSED = answer(5, 0, 0, Buffer.alloc(0));
  const answers = new Map();
  const names = new Set();
  for (const [name, a, aaaa] of zone.names) {
    const key = wireName(name.toLowerCase()).toString('latin1');
    names.add(key);
    if (a.length > 0) answers.set(key + 1, answer(0, a.length, 0, Buffer.concat(a.map((ip) => rr(POINTER, 1, TTL, v4(ip))))));
    if (aaaa.length > 0) answers.set(key + 28, answer(0, aaaa.length, 0, Buffer.concat(aaaa.map((ip) => rr(POINTER, 28, TTL, v6(ip))))));
  }
  const suffix = origin.toString('latin1');
  lookup = (msg, qend) => {
    const name = msg.toString('latin1', 12, qend).toLowerCase();
    const e = answers.get(name + ((msg[qend] << 8) | msg[qend + 1]));
    if (e !== undefined) return e;
    return names.has(name) ? NODATA : name.endsWith(suffix) ? NXDOMAIN : REFUSED;
  };
}

const sock = dgram.createSocket('udp4');
sock.on('message', (msg, rinfo) => {
  const len = msg.length;
  if (len < 17 || (msg[2] & 0xf8) !== 0) return; // a response, or not a QUERY: dropped
  let off = 12;
  while (off < len && msg[off] !== 0) {
    if (msg[off] > 63) return;
    off += msg[off] + 1;
  }
  if (off + 4 >= len) return;
  const qend = off + 1;
  const e = lookup(msg, qend);
  const qlen = qend + 4 - 12;
  const out = Buffer.allocUnsafe(12 + qlen + e.tail.length);
  out[0] = msg[0];
  out[1] = msg[1];
  e.hdr.copy(out, 2);
  out[2] |= msg[2] & 0x01;
  msg.copy(out, 12, 12, qend + 4);
  e.tail.copy(out, 12 + qlen);
  sock.send(out, rinfo.port, rinfo.address);
});
sock.bind(port, '127.0.0.1', () => console.log(`ceiling listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
