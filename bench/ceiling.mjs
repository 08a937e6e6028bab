// The "Node ceiling" (perf-anchors.md): a raw node:dgram responder answering every query from one
// precomputed buffer (ID patched, question copied, fixed A answer). Nothing a real server could
// skip is skipped less; exdns is measured against it in the same run.
// usage: node bench/ceiling.mjs PORT
import dgram from 'node:dgram';

const port = Number(process.argv[2] ?? 5399);
// A answer 127.0.0.1 owned by the question name (pointer 0xc00c), TTL 0.
const tail = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 127, 0, 0, 1]);
const sock = dgram.createSocket('udp4');
sock.on('message', (msg, rinfo) => {
  if (msg.length < 17 || (msg[2] & 0x80) !== 0) return;
  let off = 12;
  while (off < msg.length && msg[off] !== 0) off += msg[off] + 1;
  const qend = off + 5;
  if (qend > msg.length) return;
  const out = Buffer.allocUnsafe(qend + tail.length);
  msg.copy(out, 0, 0, qend);
  out[2] = 0x84 | (msg[2] & 0x01);
  out[3] = 0;
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(1, 6);
  out.writeUInt32BE(0, 8);
  tail.copy(out, qend);
  sock.send(out, rinfo.port, rinfo.address);
});
sock.bind(port, '127.0.0.1', () => console.log(`ceiling listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
