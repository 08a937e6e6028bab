// A minimal UDP DNS client for the bench's answer checks (independent of exdns's own wire code,
// so a bug there cannot make a wrong answer look right).
import dgram from 'node:dgram';

const TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, AAAA: 28 };
const TYPE_NAMES = Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [v, k]));
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export function encodeQuery(id, name, type) {
  const labels = name.replace(/\.$/, '').split('.');
  const parts = [Buffer.from([id >> 8, id & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'ascii'));
  parts.push(Buffer.from([0, TYPES[type] >> 8, TYPES[type] & 255, 0, 1]));
  return Buffer.concat(parts);
}

function readName(buf, off) {
  const labels = [];
  let end = -1;
  for (let hops = 0; hops < 64; hops++) {
    const len = buf[off];
    if (len === 0) {
      if (end < 0) end = off + 1;
      return { name: labels.join('.').toLowerCase() + '.', end };
    }
    if ((len & 0xc0) === 0xc0) {
      if (end < 0) end = off + 2;
      off = ((len & 0x3f) << 8) | buf[off + 1];
      continue;
    }
    labels.push(buf.toString('ascii', off + 1, off + 1 + len));
    off += len + 1;
  }
  throw new Error('name loop');
}

function ipv6(b) {
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // Canonical form: compress the longest run of zero groups.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

export function decode(buf) {
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  let off = 12;
  for (let i = 0; i < qd; i++) off = readName(buf, off).end + 4;
  const answers = [];
  for (let i = 0; i < an; i++) {
    const n = readName(buf, off);
    off = n.end;
    const type = buf.readUInt16BE(off);
    const rdlen = buf.readUInt16BE(off + 8);
    const rd = buf.subarray(off + 10, off + 10 + rdlen);
    off += 10 + rdlen;
    let data = rd.toString('hex');
    if (type === 1) data = [...rd].join('.');
    else if (type === 28) data = ipv6(rd);
    answers.push({ name: n.name, type: TYPE_NAMES[type] ?? String(type), data });
  }
  return { id: buf.readUInt16BE(0), rcode: RCODES[flags & 15] ?? String(flags & 15), aa: (flags & 0x400) !== 0, answers, authority: ns };
}

/** Sends each {name, type} once (in small parallel batches) and resolves with decoded replies. */
export async function queryAll(port, questions, { timeoutMs = 2000, parallel = 32 } = {}) {
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const pending = new Map();
  sock.on('message', (msg) => {
    const id = msg.readUInt16BE(0);
    const p = pending.get(id);
    if (p) {
      pending.delete(id);
      clearTimeout(p.timer);
      p.resolve(decode(msg));
    }
  });
  const ask = (id, q) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve({ rcode: 'TIMEOUT', aa: false, answers: [], authority: 0 });
      }, timeoutMs);
      pending.set(id, { resolve, timer });
      sock.send(encodeQuery(id, q.name, q.type), port, '127.0.0.1');
    });
  const out = new Array(questions.length);
  try {
    for (let i = 0; i < questions.length; i += parallel) {
      const batch = questions.slice(i, i + parallel).map((q, k) => ask((i + k) & 0xffff, q).then((r) => (out[i + k] = r)));
      await Promise.all(batch);
    }
  } finally {
    sock.close();
  }
  return out;
}
