/**
 * End-to-end k8s_gateway: a real exdns server in-process reading object manifests from disk,
 * queried with the real `dig`. Covers upstream's DNS test vectors (same expectations as
 * plugins/k8s_gateway/vectors.test.ts, including the deliberate differences P5 and P7), watched
 * manifests, /ready, TCP, 0x20 case, wildcards, empty non-terminals and fallthrough to whoami.
 */
import { copyFile, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogSink } from '../../src/log.js';
import { fixture } from '../k8s-gateway.js';
import { startServer, type RunningServer } from '../server.js';
import { dig1, type DigMessage } from './dig.js';

const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.';
const lorem = Buffer.from(LOREM);
/** dig prints the 445-byte TXT as two character-strings of 255 and 190 bytes. */
const TXT_L = `"${lorem.subarray(0, 255).toString()}" "${lorem.subarray(255).toString()}"`;

/** The zone's SOA as dig prints it; the serial (it moves with every change) is not compared. */
const SOA = 'example.com. 60 IN SOA dns1.kube-system.example.com. hostmaster.dns1.kube-system.example.com. SERIAL 7200 1800 86400 60';

/** One record of dig's output back to a single-spaced line, the SOA serial masked. */
function line(fields: string[]): string {
  const f = [...fields];
  if (f[3] === 'SOA' && f.length === 11) {
    expect(f[6]).toMatch(/^\d+$/);
    f[6] = 'SERIAL';
  }
  return f.join(' ');
}

const lines = (rrs: string[][]): string[] => rrs.map(line).sort();

interface Row {
  id: string;
  qname: string;
  qtype: string;
  /** Default NOERROR. */
  rcode?: string;
  /** Each section defaults to empty. */
  answer?: string[];
  ns?: string[];
  extra?: string[];
}

/** Asserts an authoritative reply with exactly the expected sections (OPT aside). */
function expectReply(m: DigMessage, row: Omit<Row, 'id' | 'qname' | 'qtype'>): void {
  expect(m.status).toBe(row.rcode ?? 'NOERROR');
  expect(m.flags).toContain('qr');
  expect(m.flags).toContain('aa');
  expect(m.flags).not.toContain('tc');
  expect(lines(m.answer)).toEqual([...(row.answer ?? [])].sort());
  expect(lines(m.authority)).toEqual([...(row.ns ?? [])].sort());
  expect(lines(m.additional)).toEqual([...(row.extra ?? [])].sort());
}

function table(port: () => number, rows: Row[]): void {
  it.each(rows)('$id: $qname $qtype', async (row) => {
    const m = await dig1(port(), row.qname, row.qtype);
    expectReply(m, row);
  });
}

const corefile = (k8s: string, rest = '') => `example.com:PORT {
    ${k8s}
    ${rest}
}
`;

const F1 = `k8s_gateway {
        manifests ${fixture('f1.yaml')}
        resources HTTPRoute TLSRoute GRPCRoute Ingress Service DNSEndpoint Node
    }`;

const F1_FALLTHROUGH = `k8s_gateway example.com {
        manifests ${fixture('f1.yaml')}
        resources HTTPRoute TLSRoute GRPCRoute Ingress Service DNSEndpoint Node
        fallthrough
    }`;

const F2 = `k8s_gateway {
        manifests ${fixture('f2.yaml')}
    }`;

let f1: RunningServer;
let f2: RunningServer;
let ft: RunningServer;
/** Every log line of the servers (kept off the test output; the watch tests look for errors). */
const logged: string[] = [];
let restoreSink: ((line: string) => void) | undefined;

beforeAll(async () => {
  restoreSink = setLogSink((l) => logged.push(l));
  [f1, f2, ft] = await Promise.all([startServer(corefile(F1)), startServer(corefile(F2)), startServer(corefile(F1_FALLTHROUGH, 'whoami'))]);
});

afterAll(async () => {
  await Promise.all([f1?.stop(), f2?.stop(), ft?.stop()]);
  if (restoreSink) setLogSink(restoreSink);
});

describe('F1: upstream TestPlugin vectors through dig', () => {
  table(
    () => f1.port,
    [
      { id: 'P0', qname: 'svc1.ns1.example.com.', qtype: 'A', answer: ['svc1.ns1.example.com. 60 IN A 192.0.1.1'] },
      { id: 'P1', qname: 'domain.example.com.', qtype: 'A', answer: ['domain.example.com. 60 IN A 192.0.0.1'] },
      { id: 'P2', qname: 'svc2.ns1.example.com.', qtype: 'A', answer: ['svc2.ns1.example.com. 60 IN A 192.0.0.2'] },
      { id: 'P3', qname: 'svcX.ns1.example.com.', qtype: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
      { id: 'P4', qname: 'd0main.example.com.', qtype: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
      // Deliberate difference: upstream answers the zone SOA in the answer section.
      { id: 'P5', qname: 'domain.example.com.', qtype: 'SOA', ns: [SOA] },
      { id: 'P6', qname: 'svc3.ns1.example.com.', qtype: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
      // Deliberate difference: upstream answers NODATA; svc3 has no records, so the name does not exist.
      { id: 'P7', qname: 'svc3.ns1.example.com.', qtype: 'CNAME', rcode: 'NXDOMAIN', ns: [SOA] },
      { id: 'P8', qname: 'example.com.', qtype: 'A', answer: ['example.com. 60 IN A 192.0.0.3'] },
      // Case-insensitive lookup; the answer owner is the lowercased name.
      { id: 'P9', qname: 'dOmAiN.eXamPLe.cOm.', qtype: 'A', answer: ['domain.example.com. 60 IN A 192.0.0.1'] },
      { id: 'P10', qname: 'svC1.Ns1.exAmplE.Com.', qtype: 'A', answer: ['svc1.ns1.example.com. 60 IN A 192.0.1.1'] },
      { id: 'P11', qname: 'svc2.ns1.example.com.', qtype: 'AAAA', ns: [SOA] },
      { id: 'P12', qname: 'svc4.ns1.example.com.', qtype: 'AAAA', answer: ['svc4.ns1.example.com. 60 IN AAAA fd12:3456:789a:2::'] },
      { id: 'P13', qname: 'svc4.ns1.example.com.', qtype: 'A', ns: [SOA] },
      { id: 'P14', qname: 'svc1.ns1.example.com.', qtype: 'AAAA', answer: ['svc1.ns1.example.com. 60 IN AAAA fd12:3456:789a:1::'] },
      {
        id: 'P15',
        qname: 'example.com.',
        qtype: 'NS',
        answer: ['example.com. 60 IN NS dns1.kube-system.example.com.'],
        extra: ['dns1.kube-system.example.com. 60 IN A 192.0.1.53'],
      },
      {
        id: 'P16',
        qname: 'not-explicitly-defined-label.wildcard.example.com.',
        qtype: 'A',
        answer: ['not-explicitly-defined-label.wildcard.example.com. 60 IN A 192.0.0.6'],
      },
      {
        id: 'P17',
        qname: 'specific-subdomain.wildcard.example.com.',
        qtype: 'A',
        answer: ['specific-subdomain.wildcard.example.com. 60 IN A 192.0.0.7'],
      },
      // 445 bytes of TXT exceed 512: fits only thanks to EDNS, which dig sends by default.
      { id: 'P18', qname: 'endpoint.example.com.', qtype: 'TXT', answer: [`endpoint.example.com. 60 IN TXT ${TXT_L}`] },
      { id: 'P19', qname: 'endpointX.ns1.example.com.', qtype: 'TXT', rcode: 'NXDOMAIN', ns: [SOA] },
    ],
  );

  it('P18 without EDNS: the 445-byte TXT is truncated (TC) over UDP', async () => {
    const m = await dig1(f1.port, '+noedns', '+ignore', 'endpoint.example.com.', 'TXT');
    expect(m.status).toBe('NOERROR');
    expect(m.flags).toContain('tc');
    expect(m.opt).toBeUndefined();
  });
});

describe('F2: upstream TestApex vectors through dig', () => {
  table(
    () => f2.port,
    [
      { id: 'A0', qname: 'example.com.', qtype: 'SOA', answer: [SOA] },
      {
        id: 'A1',
        qname: 'example.com.',
        qtype: 'NS',
        answer: ['example.com. 60 IN NS dns1.kube-system.example.com.'],
        extra: ['dns1.kube-system.example.com. 60 IN A 127.0.0.1'],
      },
      { id: 'A2', qname: 'example.com.', qtype: 'SRV', ns: [SOA] },
      { id: 'A3', qname: 'example.com.', qtype: 'A', ns: [SOA] },
      { id: 'A4', qname: 'dns1.kube-system.example.com.', qtype: 'SRV', ns: [SOA] },
      { id: 'A5', qname: 'dns1.kube-system.example.com.', qtype: 'NS', ns: [SOA] },
      { id: 'A6', qname: 'dns1.kube-system.example.com.', qtype: 'SOA', ns: [SOA] },
      { id: 'A7', qname: 'dns1.kube-system.example.com.', qtype: 'A', answer: ['dns1.kube-system.example.com. 60 IN A 127.0.0.1'] },
      { id: 'A8', qname: 'dns1.kube-system.example.com.', qtype: 'AAAA', ns: [SOA] },
      { id: 'A9', qname: 'foo.dns1.kube-system.example.com.', qtype: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
    ],
  );
});

describe('transport and letter case', () => {
  it('answers over TCP', async () => {
    const m = await dig1(f1.port, '+tcp', 'domain.example.com.', 'A');
    expect(m.transport).toBe('TCP');
    expectReply(m, { answer: ['domain.example.com. 60 IN A 192.0.0.1'] });
  });

  it('answers the 445-byte TXT over TCP without EDNS', async () => {
    const m = await dig1(f1.port, '+tcp', '+noedns', 'endpoint.example.com.', 'TXT');
    expect(m.transport).toBe('TCP');
    expectReply(m, { answer: [`endpoint.example.com. 60 IN TXT ${TXT_L}`] });
  });

  it.each(['UDP', 'TCP'])('0x20 over %s: question echoed in the client case, answer owner lowercase', async (transport) => {
    const args = transport === 'TCP' ? ['+tcp'] : [];
    const m = await dig1(f1.port, ...args, 'DoMaIn.ExAmPlE.CoM', 'A');
    expect(m.transport).toBe(transport);
    expect(m.question).toHaveLength(1);
    expect(m.question[0]!.trim().split(/\s+/)).toEqual([';DoMaIn.ExAmPlE.CoM.', 'IN', 'A']);
    expectReply(m, { answer: ['domain.example.com. 60 IN A 192.0.0.1'] });
  });
});

describe('wildcards and empty non-terminals', () => {
  it('an Ingress wildcard answers one label below it', async () => {
    const m = await dig1(f1.port, 'anything.wildcard.example.com.', 'A');
    expectReply(m, { answer: ['anything.wildcard.example.com. 60 IN A 192.0.0.6'] });
  });

  it('an Ingress wildcard does not answer two labels below it', async () => {
    const m = await dig1(f1.port, 'a.b.wildcard.example.com.', 'A');
    expectReply(m, { rcode: 'NXDOMAIN', ns: [SOA] });
  });

  it('a wildcard name for a type it does not hold is NODATA', async () => {
    const m = await dig1(f1.port, 'anything.wildcard.example.com.', 'AAAA');
    expectReply(m, { ns: [SOA] });
  });

  it.each([
    ['ns1.example.com.', 'A'],
    ['ns1.example.com.', 'TXT'],
    ['wildcard.example.com.', 'A'],
    ['kube-system.example.com.', 'A'],
    ['endpoint.example.com.', 'AAAA'],
  ])('empty non-terminal / NODATA %s %s: NOERROR, no answer, SOA in authority', async (qname, qtype) => {
    const m = await dig1(f1.port, qname, qtype);
    expectReply(m, { ns: [SOA] });
  });
});

describe('fallthrough to whoami', () => {
  /** whoami: empty answer, the client's address and port in the additional section. */
  function expectWhoami(m: DigMessage, qname: string): void {
    expect(m.status).toBe('NOERROR');
    expect(m.flags).toContain('aa');
    expect(m.answer).toEqual([]);
    expect(m.authority).toEqual([]);
    const extra = lines(m.additional);
    expect(extra).toContain(`${qname} 0 IN A 127.0.0.1`);
    expect(extra.some((l) => new RegExp(`^_udp\\.${qname.replaceAll('.', '\\.')} 0 IN SRV 0 0 \\d+ \\.$`).test(l))).toBe(true);
  }

  it('a nonexistent in-zone name is answered by whoami', async () => {
    expectWhoami(await dig1(ft.port, 'non-existent.example.com.', 'A'), 'non-existent.example.com.');
  });

  it('an empty non-terminal is passed on too', async () => {
    expectWhoami(await dig1(ft.port, 'ns1.example.com.', 'A'), 'ns1.example.com.');
  });

  it('names the index holds are still answered by k8s_gateway', async () => {
    expectReply(await dig1(ft.port, 'domain.example.com.', 'A'), { answer: ['domain.example.com. 60 IN A 192.0.0.1'] });
  });

  it('the apex SOA and NS never fall through', async () => {
    expectReply(await dig1(ft.port, 'example.com.', 'SOA'), { answer: [SOA] });
    expectReply(await dig1(ft.port, 'example.com.', 'NS'), {
      answer: ['example.com. 60 IN NS dns1.kube-system.example.com.'],
      extra: ['dns1.kube-system.example.com. 60 IN A 192.0.1.53'],
    });
  });
});

describe('watched manifests and /ready', () => {
  const WEB_V2 = '192.0.2.11';
  const WEB_V3 = '192.0.2.12';
  let dir: string;
  let file: string;
  let srv: RunningServer;
  let readyPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'exdns-k8s-e2e-'));
    file = path.join(dir, 'objects.yaml');
    await copyFile(fixture('e2e/watch.yaml'), file);
    srv = await startServer(
      corefile(
        `k8s_gateway {
        manifests ${dir}
        resources Ingress Service DNSEndpoint
    }`,
        'ready 127.0.0.1:0',
      ),
    );
    readyPort = srv.instance.http.port('127.0.0.1:0') ?? 0;
  });

  afterAll(async () => {
    await srv?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The A addresses (or the rcode, when not NOERROR) dig gets for `qname`. */
  async function addresses(qname: string): Promise<string> {
    const m = await dig1(srv.port, qname, 'A');
    if (m.status !== 'NOERROR') return m.status;
    return m.answer
      .filter((f) => f[3] === 'A')
      .map((f) => f[4]!)
      .sort()
      .join(',');
  }

  /** Polls dig until `qname` gives `want`; returns the ms since `since`. Fails after 3 s. */
  async function until(qname: string, want: string, since: number): Promise<number> {
    const deadline = since + 3000;
    let got = '';
    for (;;) {
      got = await addresses(qname);
      if (got === want) return performance.now() - since;
      if (performance.now() > deadline) throw new Error(`${qname}: still ${got}, want ${want}`);
    }
  }

  /** Polls the captured log, from line `from` on, for a line matching `re`. */
  async function logLine(re: RegExp, from: number, ms: number): Promise<string> {
    const deadline = performance.now() + ms;
    for (;;) {
      const hit = logged.slice(from).find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (performance.now() > deadline) throw new Error(`no log line matching ${re}; got:\n${logged.join('\n')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('/ready answers 200 OK once the manifests have loaded', async () => {
    expect(readyPort).toBeGreaterThan(0);
    const deadline = performance.now() + 3000;
    let res: { status: number; body: string };
    for (;;) {
      const r = await fetch(`http://127.0.0.1:${readyPort}/ready`);
      res = { status: r.status, body: await r.text() };
      if (res.status === 200 || performance.now() > deadline) break;
      await new Promise((r2) => setTimeout(r2, 20));
    }
    expect(res).toEqual({ status: 200, body: 'OK' });
    // k8s_gateway is one of the plugins /ready asked, and it has its objects.
    const entries = srv.instance.readiness();
    expect(entries.map((e) => e.name)).toContain('k8s_gateway');
    expect(entries.every((e) => e.ready())).toBe(true);
    expect(await addresses('web.example.com.')).toBe('192.0.2.10');
  });

  it('an edited Ingress address is served within 1 s', async () => {
    const text = await readFile(file, 'utf8');
    const t0 = performance.now();
    await writeFile(file, text.replace('192.0.2.10', WEB_V2));
    const elapsed = await until('web.example.com.', WEB_V2, t0);
    expect(elapsed).toBeLessThan(1000);
  });

  it('a new object in a new file answers; removing it gives NXDOMAIN', async () => {
    const extra = path.join(dir, 'more.yaml');
    expect(await addresses('new.example.com.')).toBe('NXDOMAIN');
    let t0 = performance.now();
    await writeFile(
      extra,
      `apiVersion: externaldns.k8s.io/v1alpha1
kind: DNSEndpoint
metadata: {name: new, namespace: default}
spec:
  endpoints:
    - {dnsName: new.example.com, recordType: A, targets: [192.0.2.20]}
`,
    );
    expect(await until('new.example.com.', '192.0.2.20', t0)).toBeLessThan(1000);
    t0 = performance.now();
    await unlink(extra);
    expect(await until('new.example.com.', 'NXDOMAIN', t0)).toBeLessThan(1000);
  });

  it('an object appended to and then removed from a file comes and goes', async () => {
    const text = await readFile(file, 'utf8');
    let t0 = performance.now();
    await writeFile(
      file,
      `${text}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: added, namespace: default}
spec:
  rules: [{host: added.example.com}]
status: {loadBalancer: {ingress: [{ip: 192.0.2.30}]}}
`,
    );
    expect(await until('added.example.com.', '192.0.2.30', t0)).toBeLessThan(1000);
    t0 = performance.now();
    await writeFile(file, text);
    expect(await until('added.example.com.', 'NXDOMAIN', t0)).toBeLessThan(1000);
    expect(await addresses('web.example.com.')).toBe(WEB_V2);
  });

  it('a broken edit is logged and the last good content keeps being served', async () => {
    const before = logged.length;
    await writeFile(file, 'apiVersion: v1\nkind: [unclosed\nmetadata: {name: x\n');
    const hit = await logLine(/^\[ERROR\] plugin\/k8s_gateway: .*last good content/, before, 3000);
    expect(hit).toContain(file);
    expect(await addresses('web.example.com.')).toBe(WEB_V2);
    expect(await addresses('dns1.kube-system.example.com.')).toBe('192.0.2.53');
  });

  it('fixing the broken file serves the new content', async () => {
    const text = await readFile(fixture('e2e/watch.yaml'), 'utf8');
    const t0 = performance.now();
    await writeFile(file, text.replace('192.0.2.10', WEB_V3));
    expect(await until('web.example.com.', WEB_V3, t0)).toBeLessThan(1000);
    expect(await addresses('dns1.kube-system.example.com.')).toBe('192.0.2.53');
  });
});
