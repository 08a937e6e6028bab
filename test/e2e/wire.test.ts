/**
 * End-to-end wire behaviour: the real server in-process, queried with the real `dig` binary
 * (and raw sockets for what dig cannot send). See /work/shared/reference/coredns.md §4.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server.js';
import { queryBytes } from '../kit.js';
import { QType, Rcode } from '../../src/wire/constants.js';
import { decodeMessage, fromDns2Name } from '../../src/wire/message.js';
import { dig, dig1, type DigMessage } from './dig.js';
import { frame, sleep, TcpClient, UdpClient } from './net.js';
import { BIG_COUNT, bigAddress, bigtest, crashtest } from './plugins.js';

const COREFILE = `example.org:PORT {
    bigtest
    crashtest
    whoami
}
`;

let srv: RunningServer;
let port: number;

beforeAll(async () => {
  srv = await startServer(COREFILE, [bigtest, crashtest]);
  port = srv.port;
  expect(port).toBeGreaterThan(0);
});

afterAll(async () => {
  await srv?.stop();
});

/** Answer addresses of an A reply, sorted numerically by last octets. */
function addresses(m: DigMessage): string[] {
  return m.answer.filter((f) => f[3] === 'A').map((f) => f[4]!);
}

const allBig = Array.from({ length: BIG_COUNT }, (_, i) => bigAddress(i));

describe('EDNS0 OPT in replies', () => {
  const cases: Array<{ name: string; args: string[]; opt: { flags: string[] } | undefined; transport: string }> = [
    { name: 'EDNS query (+bufsize=1400)', args: ['+bufsize=1400'], opt: { flags: [] }, transport: 'UDP' },
    { name: 'EDNS query with DO (+dnssec)', args: ['+bufsize=1400', '+dnssec'], opt: { flags: ['do'] }, transport: 'UDP' },
    { name: 'small EDNS size (+bufsize=512)', args: ['+bufsize=512'], opt: { flags: [] }, transport: 'UDP' },
    { name: 'no EDNS (+noedns)', args: ['+noedns'], opt: undefined, transport: 'UDP' },
    { name: 'TCP with DO', args: ['+tcp', '+dnssec'], opt: { flags: ['do'] }, transport: 'TCP' },
    { name: 'TCP without EDNS', args: ['+tcp', '+noedns'], opt: undefined, transport: 'TCP' },
  ];
  it.each(cases)('$name', async ({ args, opt, transport }) => {
    const m = await dig1(port, ...args, 'example.org', 'A');
    expect(m.status).toBe('NOERROR');
    expect(m.transport).toBe(transport);
    expect(m.flags).toEqual(['qr', 'aa', 'rd']);
    if (opt === undefined) {
      expect(m.out.stdout).not.toContain('OPT PSEUDOSECTION');
      expect(m.opt).toBeUndefined();
      expect(m.counts.additional).toBe(2);
    } else {
      expect(m.out.stdout).toContain(';; OPT PSEUDOSECTION:');
      expect(m.opt).toEqual({ version: 0, flags: opt.flags, udp: 1232 });
      // whoami's A + SRV, plus the OPT pseudo-record.
      expect(m.counts.additional).toBe(3);
    }
    expect(m.additional.map((f) => f[3])).toEqual(['A', 'SRV']);
  });
});

describe('truncation', () => {
  const udpCases: Array<{ name: string; args: string[]; limit: number; opt: boolean }> = [
    { name: 'no EDNS: 512 bytes', args: ['+noedns'], limit: 512, opt: false },
    { name: 'EDNS 1232', args: ['+bufsize=1232'], limit: 1232, opt: true },
    { name: 'EDNS 4096 is capped at 1232', args: ['+bufsize=4096'], limit: 1232, opt: true },
    { name: 'EDNS below 512 counts as 512', args: ['+bufsize=100'], limit: 512, opt: true },
  ];
  it.each(udpCases)('UDP sets TC and drops the whole RRset ($name)', async ({ args, limit, opt }) => {
    const m = await dig1(port, '+ignore', ...args, 'big.example.org', 'A');
    expect(m.transport).toBe('UDP');
    expect(m.status).toBe('NOERROR');
    expect(m.flags).toEqual(['qr', 'aa', 'tc', 'rd']);
    // Never a partial RRset: all 100 records or none.
    expect(m.counts.answer).toBe(0);
    expect(m.answer).toEqual([]);
    expect(m.question).toHaveLength(1);
    expect(m.size).toBeDefined();
    expect(m.size!).toBeLessThanOrEqual(limit);
    expect(m.opt !== undefined).toBe(opt);
    if (opt) expect(m.opt!.udp).toBe(1232);
  });

  it('dig retries a truncated UDP reply over TCP and gets every record', async () => {
    const r = await dig(port, 'big.example.org', 'A');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(';; Truncated, retrying in TCP mode.');
    expect(r.messages).toHaveLength(1);
    const m = r.messages[0]!;
    expect(m.transport).toBe('TCP');
    expect(m.status).toBe('NOERROR');
    expect(m.flags).toEqual(['qr', 'aa', 'rd']);
    expect(m.counts.answer).toBe(BIG_COUNT);
    expect(addresses(m).sort()).toEqual([...allBig].sort());
    expect(m.size!).toBeGreaterThan(1232);
  });

  it('+tcp gets all 100 records without TC', async () => {
    const m = await dig1(port, '+tcp', 'big.example.org', 'A');
    expect(m.transport).toBe('TCP');
    expect(m.flags).toEqual(['qr', 'aa', 'rd']);
    expect(m.counts.answer).toBe(BIG_COUNT);
    expect(addresses(m).sort()).toEqual([...allBig].sort());
    expect(m.answer.every((f) => f[0] === 'big.example.org.' && f[1] === '300' && f[2] === 'IN')).toBe(true);
  });
});

describe('REFUSED', () => {
  let root: RunningServer;
  beforeAll(async () => {
    root = await startServer('.:PORT {\n    whoami\n}\n');
  });
  afterAll(async () => {
    await root?.stop();
  });

  it('for a name outside every zone', async () => {
    const m = await dig1(port, 'example.net', 'A');
    expect(m.status).toBe('REFUSED');
    expect(m.flags).toEqual(['qr', 'rd']);
    expect(m.question).toHaveLength(1);
    expect(m.question[0]).toMatch(/^;example\.net\.\s+IN\s+A$/);
    expect(m.counts).toEqual({ query: 1, answer: 0, authority: 0, additional: 1 });
    expect(m.opt).toEqual({ version: 0, flags: [], udp: 1232 });
  });

  it('for a name that only shares a suffix string with the zone', async () => {
    const m = await dig1(port, 'notexample.org', 'A');
    expect(m.status).toBe('REFUSED');
  });

  it('for class CH in a served zone (IN is answered)', async () => {
    const ch = await dig1(port, 'CH', 'TXT', 'example.org');
    expect(ch.status).toBe('REFUSED');
    expect(ch.question[0]).toMatch(/^;example\.org\.\s+CH\s+TXT$/);
    const inet = await dig1(port, 'IN', 'TXT', 'example.org');
    expect(inet.status).toBe('NOERROR');
  });

  it('for CH TXT version.bind, also when the root zone is served', async () => {
    const m = await dig1(port, 'CH', 'TXT', 'version.bind');
    expect(m.status).toBe('REFUSED');
    const r = await dig1(root.port, 'CH', 'TXT', 'version.bind');
    expect(r.status).toBe('REFUSED');
    expect(r.flags).toEqual(['qr', 'rd']);
    expect(r.question[0]).toMatch(/^;version\.bind\.\s+CH\s+TXT$/);
    const inet = await dig1(root.port, 'IN', 'TXT', 'version.bind');
    expect(inet.status).toBe('NOERROR');
  });
});

describe('pre-chain filtering over raw UDP', () => {
  let udp: UdpClient;
  beforeAll(async () => {
    udp = await UdpClient.open(port);
  });
  afterAll(() => udp?.close());

  const hdr = (id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0) => {
    const b = Buffer.alloc(12);
    b.writeUInt16BE(id, 0);
    b.writeUInt16BE(flags, 2);
    b.writeUInt16BE(qd, 4);
    b.writeUInt16BE(an, 6);
    b.writeUInt16BE(ns, 8);
    b.writeUInt16BE(ar, 10);
    return b;
  };
  const exampleOrg = Buffer.from('076578616d706c65036f726700', 'hex');
  const aIn = Buffer.from('00010001', 'hex');

  const formerr: Array<{ name: string; packet: Buffer; reply: string }> = [
    { name: 'qdcount 0', packet: hdr(0xbeef, 0x0100, 0), reply: 'beef81010000000000000000' },
    { name: 'qdcount 0 keeps CD', packet: hdr(0xbe01, 0x0110, 0), reply: 'be0181110000000000000000' },
    { name: 'qdcount 2', packet: Buffer.concat([hdr(0x0202, 0x0100, 2), exampleOrg, aIn]), reply: '020281010000000000000000' },
    { name: 'question name cut short', packet: Buffer.concat([hdr(0xcafe, 0x0100, 1), Buffer.from('076578616d', 'hex')]), reply: 'cafe81010000000000000000' },
    { name: 'question without type and class', packet: Buffer.concat([hdr(0xcaff, 0x0000, 1), exampleOrg, Buffer.from('0001', 'hex')]), reply: 'caff80010000000000000000' },
    { name: 'question name is a pointer loop', packet: Buffer.concat([hdr(0x1001, 0x0100, 1), Buffer.from('c00c', 'hex'), aIn]), reply: '100181010000000000000000' },
    { name: 'two answer records', packet: Buffer.concat([hdr(0x2002, 0x0100, 1, 2), exampleOrg, aIn]), reply: '200281010000000000000000' },
    { name: 'OPT record cut short', packet: Buffer.concat([hdr(0x3003, 0x0100, 1, 0, 0, 1), exampleOrg, aIn, Buffer.from('00002904d0', 'hex')]), reply: '300381010000000000000000' },
  ];
  it.each(formerr)('FORMERR, header only: $name', async ({ packet, reply }) => {
    udp.send(packet);
    const got = await udp.next(2000);
    expect(got, 'no reply').toBeDefined();
    expect(got!.toString('hex')).toBe(reply);
    expect(got!.length).toBe(12);
    expect(got![3]! & 0xf).toBe(Rcode.FORMERR);
  });

  const response = queryBytes('example.org.', QType.A, { id: 0x5151 });
  response.writeUInt16BE(response.readUInt16BE(2) | 0x8000, 2);
  const silent: Array<{ name: string; packet: Buffer }> = [
    { name: '5-byte datagram', packet: Buffer.from('0102030405', 'hex') },
    { name: '11-byte datagram', packet: Buffer.alloc(11, 0x01) },
    { name: 'empty datagram', packet: Buffer.alloc(0) },
    { name: 'a response (QR=1)', packet: response },
    { name: 'a response (QR=1) with qdcount 0', packet: hdr(0x5252, 0x8100, 0) },
  ];
  it.each(silent)('no reply to $name, and the server keeps answering', async ({ packet }) => {
    udp.send(packet);
    expect(await udp.next(300)).toBeUndefined();
    // The next datagram must be the reply to a fresh query, not a late reply to the packet above.
    udp.send(queryBytes('example.org.', QType.A, { id: 0x7777 }));
    const got = await udp.next(2000);
    expect(got).toBeDefined();
    expect(got!.readUInt16BE(0)).toBe(0x7777);
    expect(got![3]! & 0xf).toBe(Rcode.NOERROR);
  });
});

describe('NOTIMP', () => {
  const cases: Array<{ opcode: string; name: string; args: string[] }> = [
    { opcode: 'notify', name: 'NOTIFY', args: [] },
    { opcode: 'update', name: 'UPDATE', args: [] },
    { opcode: 'update', name: 'UPDATE', args: ['+noedns'] },
    { opcode: 'update', name: 'UPDATE', args: ['+tcp'] },
    { opcode: '2', name: 'STATUS', args: [] },
  ];
  it.each(cases)('+opcode=$opcode $args -> NOTIMP, header only with the opcode echoed', async ({ opcode, name, args }) => {
    const m = await dig1(port, `+opcode=${opcode}`, ...args, 'example.org', 'A');
    expect(m.status).toBe('NOTIMP');
    expect(m.opcode).toBe(name);
    expect(m.flags).toEqual(['qr', 'rd']);
    expect(m.counts).toEqual({ query: 0, answer: 0, authority: 0, additional: 0 });
    expect(m.opt).toBeUndefined();
    expect(m.size).toBe(12);
  });
});

describe('BADVERS', () => {
  const cases: Array<{ name: string; args: string[]; flags: string[]; transport: string }> = [
    { name: 'UDP', args: [], flags: [], transport: 'UDP' },
    { name: 'UDP with DO', args: ['+dnssec'], flags: ['do'], transport: 'UDP' },
    { name: 'TCP', args: ['+tcp'], flags: [], transport: 'TCP' },
  ];
  it.each(cases)('EDNS version 1 -> BADVERS with an OPT of version 0 ($name)', async ({ args, flags, transport }) => {
    const m = await dig1(port, '+edns=1', '+noednsnegotiation', ...args, 'example.org', 'A');
    expect(m.status).toBe('BADVERS');
    expect(m.transport).toBe(transport);
    expect(m.out.stdout).toMatch(/^; EDNS: version: 0, /m);
    expect(m.opt).toEqual({ version: 0, flags, udp: 1232 });
    expect(m.flags).toEqual(['qr', 'rd']);
    expect(m.counts).toEqual({ query: 1, answer: 0, authority: 0, additional: 1 });
    expect(m.question[0]).toMatch(/^;example\.org\.\s+IN\s+A$/);
  });

  it('dig negotiates down to version 0 and gets an answer', async () => {
    const r = await dig(port, '+edns=1', 'example.org', 'A');
    expect(r.stdout).toContain(';; BADVERS, retrying with EDNS version 0.');
    expect(r.messages.at(-1)!.status).toBe('NOERROR');
  });
});

describe('0x20 case preservation', () => {
  const cases: Array<{ qname: string; args: string[]; proto: string }> = [
    { qname: 'WwW.ExAmPlE.oRg', args: [], proto: 'udp' },
    { qname: 'WwW.ExAmPlE.oRg', args: ['+tcp'], proto: 'tcp' },
    { qname: 'EXAMPLE.ORG', args: ['+noedns'], proto: 'udp' },
  ];
  it.each(cases)('$qname over $proto', async ({ qname, args, proto }) => {
    const r = await dig(port, ...args, qname, 'A');
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/mismatch/i);
    expect(r.messages).toHaveLength(1);
    const m = r.messages[0]!;
    expect(m.status).toBe('NOERROR');
    expect(m.question).toHaveLength(1);
    expect(m.question[0]!.split(/\s+/)).toEqual([`;${qname}.`, 'IN', 'A']);
    expect(m.additional.map((f) => f.slice(0, 4))).toEqual([
      [`${qname}.`, '0', 'IN', 'A'],
      [`_${proto}.${qname}.`, '0', 'IN', 'SRV'],
    ]);
    expect(m.additional[0]![4]).toBe('127.0.0.1');
  });

  it('an error reply keeps the question case too', async () => {
    const r = await dig(port, 'ExAmPlE.NeT', 'A');
    expect(r.stdout + r.stderr).not.toMatch(/mismatch/i);
    expect(r.messages[0]!.status).toBe('REFUSED');
    expect(r.messages[0]!.question[0]!.split(/\s+/)).toEqual([';ExAmPlE.NeT.', 'IN', 'A']);
  });
});

describe('TCP pipelining', () => {
  it('answers 5 queries sent in one write and a 6th sent byte by byte', async () => {
    const c = await TcpClient.connect(port);
    try {
      const ids = [0x1001, 0x1002, 0x1003, 0x1004, 0x1005, 0x1006];
      const names = new Map(ids.map((id, i) => [id, `p${i + 1}.example.org.`]));
      const frames = ids.map((id) => frame(queryBytes(names.get(id)!, QType.A, { id })));
      c.write(Buffer.concat(frames.slice(0, 5)));
      for (const b of frames[5]!) {
        c.write(Buffer.from([b]));
        await sleep(3);
      }
      const replies = await c.replies(6);
      await sleep(100);
      expect(c.messages).toHaveLength(6);
      const got = new Map(replies.map((r) => [r.readUInt16BE(0), decodeMessage(r)]));
      expect([...got.keys()].sort()).toEqual(ids);
      for (const [id, m] of got) {
        expect(m.header.qr).toBe(1);
        expect(m.header.rcode).toBe(Rcode.NOERROR);
        expect(fromDns2Name(m.questions[0]!.name)).toBe(names.get(id));
        const srv = m.additionals.find((a) => a.type === QType.SRV)!;
        expect(fromDns2Name(srv.name)).toBe(`_tcp.${names.get(id)}`);
      }
      expect(c.closed).toBe(false);
    } finally {
      c.destroy();
    }
  });

  it('dig +tcp +keepopen asks two names over one connection', async () => {
    const r = await dig(port, '+tcp', '+keepopen', 'a.example.org', 'A', 'b.example.org', 'A');
    expect(r.code).toBe(0);
    expect(r.messages).toHaveLength(2);
    const [a, b] = r.messages as [DigMessage, DigMessage];
    for (const [m, n] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      expect(m.status).toBe('NOERROR');
      expect(m.transport).toBe('TCP');
      expect(m.question[0]!.split(/\s+/)).toEqual([`;${n}.example.org.`, 'IN', 'A']);
      expect(m.additional[1]!.slice(0, 4)).toEqual([`_tcp.${n}.example.org.`, '0', 'IN', 'SRV']);
    }
    // Same client port in whoami's SRV: both queries used one connection.
    expect(a.additional[1]![6]).toBe(b.additional[1]![6]);
  });
});

describe('a plugin that throws', () => {
  it('gives SERVFAIL over UDP and the server keeps answering', async () => {
    for (let i = 0; i < 3; i++) {
      const bad = await dig1(port, 'crash.example.org', 'A');
      expect(bad.status).toBe('SERVFAIL');
      expect(bad.flags).toEqual(['qr', 'rd']);
      expect(bad.counts).toEqual({ query: 1, answer: 0, authority: 0, additional: 1 });
      expect(bad.question[0]).toMatch(/^;crash\.example\.org\.\s+IN\s+A$/);
      const good = await dig1(port, 'example.org', 'A');
      expect(good.status).toBe('NOERROR');
    }
  });

  it('gives SERVFAIL over TCP and the connection keeps working', async () => {
    const c = await TcpClient.connect(port);
    try {
      c.write(frame(queryBytes('crash.example.org.', QType.A, { id: 0xdead })));
      const [bad] = await c.replies(1);
      expect(bad!.readUInt16BE(0)).toBe(0xdead);
      expect(bad![3]! & 0xf).toBe(Rcode.SERVFAIL);
      c.write(frame(queryBytes('example.org.', QType.A, { id: 0xbeef })));
      const [, good] = await c.replies(2);
      expect(good!.readUInt16BE(0)).toBe(0xbeef);
      expect(good![3]! & 0xf).toBe(Rcode.NOERROR);
      expect(c.closed).toBe(false);
    } finally {
      c.destroy();
    }
  });
});
