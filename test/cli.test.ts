/**
 * The built CLI (dist/src/cli.js) as users run it: flags in Go's single-dash style, `validate`,
 * the default Corefile, `-conf stdin`, signals (SIGTERM stops with 0, SIGUSR1 reloads and keeps
 * the old configuration when the new one is broken).
 */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { QType, Rcode } from '../src/wire/constants.js';
import { decodeMessage, type Message } from '../src/wire/message.js';
import { buildIfStale, cli, Daemon, freePort, root, sleep } from './exdns-process.js';
import { queryBytes } from './kit.js';

const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion. */
function run(args: string[], opts: { cwd?: string; input?: string } = {}): Result {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: opts.cwd ?? root, input: opts.input, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const daemons: Daemon[] = [];
function start(args: string[], opts: { cwd: string; stdin?: string }): Daemon {
  const d = new Daemon(args, opts);
  daemons.push(d);
  return d;
}

/** One UDP query, retried a few times (the server may still be starting). */
async function udpQuery(port: number, name: string, qtype: number, id: number, tries = 20): Promise<Message> {
  for (let i = 0; i < tries; i++) {
    const s = dgram.createSocket('udp4');
    try {
      const reply = await new Promise<Buffer | undefined>((resolve) => {
        const t = setTimeout(() => resolve(undefined), 250);
        s.on('message', (m) => {
          if (m.length >= 2 && m.readUInt16BE(0) === id) {
            clearTimeout(t);
            resolve(m);
          }
        });
        s.on('error', () => undefined);
        s.send(queryBytes(name, qtype, { id }), port, '127.0.0.1');
      });
      if (reply) return decodeMessage(reply);
    } finally {
      s.close();
    }
  }
  throw new Error(`no UDP reply from 127.0.0.1:${port} for ${name}`);
}

function expectWhoami(m: Message, id: number): void {
  expect(m.header.id).toBe(id);
  expect(m.header.qr).toBe(1);
  expect(m.header.rcode).toBe(Rcode.NOERROR);
  const a = m.additionals.find((r) => r.type === QType.A);
  expect(a?.address).toBe('127.0.0.1');
}

/** Queries until `check` holds for the reply (e.g. after a reload). */
async function eventually(port: number, name: string, check: (m: Message) => boolean, ms = 10_000): Promise<Message> {
  const deadline = Date.now() + ms;
  let id = 0x100;
  for (;;) {
    const m = await udpQuery(port, name, QType.A, ++id);
    if (check(m)) return m;
    if (Date.now() > deadline) throw new Error(`condition never held for ${name}: rcode ${m.header.rcode}`);
    await sleep(50);
  }
}

let tmp: string;

beforeAll(() => {
  buildIfStale();
  tmp = mkdtempSync(path.join(tmpdir(), 'exdns-cli-'));
}, 120_000);

afterEach(async () => {
  for (const d of daemons.splice(0)) {
    d.kill('SIGKILL');
    await d.exited;
  }
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A fresh empty directory (no ./Corefile) to run the CLI in. */
function dir(name: string): string {
  return mkdtempSync(path.join(tmp, `${name}-`));
}

function file(name: string, contents: string): string {
  const f = path.join(tmp, name);
  writeFileSync(f, contents);
  return f;
}

describe('informational flags', () => {
  it('-version prints exdns-VERSION', () => {
    const r = run(['-version']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`exdns-${version}`);
  });

  it('--version works too', () => {
    expect(run(['--version']).stdout.split('\n')[0]).toBe(`exdns-${version}`);
  });

  it('-plugins lists the plugins in chain order (dns.log before dns.whoami)', () => {
    const r = run(['-plugins']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').map((l) => l.trim());
    const log = lines.indexOf('dns.log');
    const whoami = lines.indexOf('dns.whoami');
    expect(log).toBeGreaterThan(-1);
    expect(whoami).toBeGreaterThan(log);
    expect(lines.indexOf('dns.reload')).toBeLessThan(lines.indexOf('dns.errors'));
  });

  it('unknown extra positional arguments fail', () => {
    const r = run(['extra']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/too many arguments/);
  });

  it('an unknown flag fails', () => {
    const r = run(['-nosuchflag']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown option/);
  });
});

describe('validate', () => {
  const good = () => file('good.Corefile', 'example.org {\n    whoami\n}\n. {\n    log\n    whoami\n}\n');
  const bad = () => file('bad.Corefile', '. {\n    whoami\n    foo\n}\n');

  it('validates ./Corefile in the working directory', () => {
    const cwd = dir('validate-cwd');
    writeFileSync(path.join(cwd, 'Corefile'), '. {\n    whoami\n}\n');
    const r = run(['validate'], { cwd });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Corefile: OK');
  });

  it('a bad ./Corefile exits non-zero with FILE:LINE and the CoreDNS text', () => {
    const cwd = dir('validate-cwd-bad');
    writeFileSync(path.join(cwd, 'Corefile'), '. {\n    whoami\n    foo\n}\n');
    const r = run(['validate'], { cwd });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Corefile:3 - Error during parsing: Unknown directive 'foo'");
  });

  it('unknown extra positional arguments fail', () => {
    const r = run(['validate', 'extra'], { cwd: dir('validate-extra') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/too many arguments/);
  });

  it('validate -conf FILE exits 0 for a good Corefile', () => {
    const r = run(['validate', '-conf', good()], { cwd: dir('validate-conf-good') });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('OK (2 server blocks');
  });

  it('validate -conf FILE exits non-zero with FILE:LINE for a bad Corefile', () => {
    const f = bad();
    const r = run(['validate', '-conf', f], { cwd: dir('validate-conf-bad') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${f}:3 - Error during parsing: Unknown directive 'foo'`);
  });

  it('validate --conf FILE and validate -conf=FILE work', () => {
    const cwd = dir('validate-conf-forms');
    for (const args of [['--conf', good()], [`-conf=${good()}`], [`--conf=${good()}`]]) {
      const r = run(['validate', ...args], { cwd });
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    const f = bad();
    const r = run(['validate', `-conf=${f}`], { cwd });
    expect(r.stderr).toContain(`${f}:3 - Error during parsing: Unknown directive 'foo'`);
  });

  it('validate -conf FILE checks FILE even when ./Corefile exists', () => {
    const cwd = dir('validate-bug');
    writeFileSync(path.join(cwd, 'Corefile'), '. {\n    whoami\n}\n');
    const r = run(['validate', '-conf', bad()], { cwd });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Unknown directive 'foo'");
  });
});

describe('serving', () => {
  it('without -conf and without ./Corefile serves the default `.:PORT { whoami log }`, stops on SIGTERM with 0', async () => {
    const port = await freePort();
    const d = start(['-dns.port', String(port)], { cwd: dir('default') });
    await d.waitFor(`exdns-${version}`);
    expect(d.stdout).toContain(`.:${port}`);
    const m = await udpQuery(port, 'example.com.', QType.A, 0x5151);
    expectWhoami(m, 0x5151);
    expect(m.additionals.some((r) => r.type === QType.SRV && r.name === '_udp.example.com' && r.port !== undefined)).toBe(true);
    // the log plugin is in the default Corefile
    await d.waitFor(/"A IN example\.com\. udp \d+ false \d+" NOERROR/);
    d.kill('SIGTERM');
    expect(await d.exited).toEqual({ code: 0, signal: null });
  });

  it('-p / --dns.port=PORT is the same flag', async () => {
    const port = await freePort();
    const d = start([`--dns.port=${port}`, '-quiet'], { cwd: dir('port-eq') });
    expectWhoami(await udpQuery(port, 'a.example.', QType.A, 7), 7);
    expect(d.stdout).not.toContain(`exdns-${version}`);
    d.kill('SIGTERM');
    expect((await d.exited).code).toBe(0);
  });

  it('-conf stdin reads the Corefile from standard input', async () => {
    const port = await freePort();
    const d = start(['-conf', 'stdin'], { cwd: dir('stdin'), stdin: `example.org:${port} {\n    whoami\n}\n` });
    await d.waitFor(`example.org.:${port}`);
    expectWhoami(await udpQuery(port, 'www.example.org.', QType.A, 0x6161), 0x6161);
    // not in the zone: REFUSED
    expect((await udpQuery(port, 'example.net.', QType.A, 0x6162)).header.rcode).toBe(Rcode.REFUSED);
    d.kill('SIGTERM');
    expect((await d.exited).code).toBe(0);
  });

  it('--conf FILE and -conf=FILE start the server from FILE', async () => {
    for (const form of ['--conf', '-conf='] as const) {
      const port = await freePort();
      const f = file(`serve-${form.replace(/\W/g, '')}.Corefile`, `example.org:${port} {\n    whoami\n}\n`);
      const args = form === '--conf' ? ['--conf', f] : [`-conf=${f}`];
      const d = start(args, { cwd: dir('conf-forms') });
      await d.waitFor(`example.org.:${port}`);
      expectWhoami(await udpQuery(port, 'example.org.', QType.A, 0x7171), 0x7171);
      d.kill('SIGTERM');
      expect((await d.exited).code).toBe(0);
    }
  });

  it('a bad -conf FILE at startup exits non-zero with the error', () => {
    const f = file('start-bad.Corefile', '. {\n    whoami\n    foo\n}\n');
    const r = run(['-conf', f, '-dns.port', '0'], { cwd: dir('start-bad') });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(`${f}:3 - Error during parsing: Unknown directive 'foo'`);
  });

  it('SIGUSR1 reloads a changed Corefile; a broken one keeps the old configuration serving', async () => {
    const port = await freePort();
    let port2 = await freePort();
    while (port2 === port) port2 = await freePort();
    const f = file('reload.Corefile', `example.org:${port} {\n    whoami\n}\n`);
    const d = start(['-conf', f], { cwd: dir('reload') });
    await d.waitFor(`example.org.:${port}`);
    expectWhoami(await udpQuery(port, 'example.org.', QType.A, 1), 1);

    // a new zone (on a new port) starts answering after SIGUSR1
    writeFileSync(f, `example.org:${port} {\n    whoami\n}\nexample.net:${port2} {\n    whoami\n}\n`);
    d.kill('SIGUSR1');
    await d.waitFor('plugin/reload: Reloaded');
    const m = await eventually(port2, 'example.net.', (x) => x.header.rcode === Rcode.NOERROR);
    expect(m.additionals.find((r) => r.type === QType.A)?.address).toBe('127.0.0.1');
    expectWhoami(await udpQuery(port, 'example.org.', QType.A, 2), 2);

    // a Corefile that parses but fails setup: reload fails, the old configuration keeps serving
    writeFileSync(f, `example.org:${port} {\n    whoami\n    foo\n}\n`);
    d.kill('SIGUSR1');
    await d.waitFor('reload failed');
    expect(d.stdout).toContain("Unknown directive 'foo'");
    expectWhoami(await udpQuery(port, 'example.org.', QType.A, 3), 3);
    expectWhoami(await udpQuery(port2, 'example.net.', QType.A, 4), 4);

    // a Corefile that does not even parse: logged, still serving
    writeFileSync(f, `example.org:${port} {\n    whoami\n`);
    d.kill('SIGUSR1');
    await d.waitFor('Corefile parse failed');
    expectWhoami(await udpQuery(port2, 'example.net.', QType.A, 5), 5);

    // SIGHUP is ignored (CoreDNS), the process keeps running
    d.kill('SIGHUP');
    await sleep(100);
    expectWhoami(await udpQuery(port, 'example.org.', QType.A, 6), 6);

    d.kill('SIGTERM');
    expect(await d.exited, d.output).toEqual({ code: 0, signal: null });
  });

  // A kept listener must route with the new zones after a reload (its sockets stay open).
  it('SIGUSR1 reload: a new zone on an existing port starts answering', async () => {
    const port = await freePort();
    const f = file('reload-same-port.Corefile', `example.org:${port} {\n    whoami\n}\n`);
    const d = start(['-conf', f], { cwd: dir('reload-same-port') });
    await d.waitFor(`example.org.:${port}`);
    expect((await udpQuery(port, 'example.net.', QType.A, 1)).header.rcode).toBe(Rcode.REFUSED);
    writeFileSync(f, `example.org:${port} {\n    whoami\n}\nexample.net:${port} {\n    whoami\n}\n`);
    d.kill('SIGUSR1');
    await d.waitFor('plugin/reload: Reloaded');
    const m = await eventually(port, 'example.net.', (x) => x.header.rcode === Rcode.NOERROR, 2000);
    expectWhoami(m, m.header.id);
  });
});

describe('records', () => {
  it('prints every zone of the demo in master-file format, logs on stderr', () => {
    const r = run(['records', '-conf', path.join(root, 'examples', 'demo', 'Corefile')], { cwd: root });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\$ORIGIN apps\.example\.com\.$/m);
    expect(r.stdout).toMatch(/^apps\.example\.com\. 60 IN SOA dns1\.kube-system\.apps\.example\.com\. hostmaster\.dns1\.kube-system\.apps\.example\.com\. \d+ 7200 1800 86400 60$/m);
    expect(r.stdout).toContain('shop.apps.example.com. 60 IN A 192.0.2.10');
    expect(r.stdout).toContain('shop.apps.example.com. 60 IN AAAA 2001:db8::10');
    expect(r.stdout).toContain('*.preview.apps.example.com. 30 IN A 192.0.2.11');
    expect(r.stdout).toContain('10.2.0.192.in-addr.arpa. 60 IN PTR shop.apps.example.com.');
    expect(r.stdout).not.toContain('[INFO]');
    expect(r.stderr).toContain('[INFO] plugin/k8s_gateway: synced');
  });

  it('fails clearly when nothing in the Corefile serves records', () => {
    const r = run(['records', '-conf', file('records-none.Corefile', '. {\n    whoami\n}\n')], { cwd: dir('records-none') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no plugin in this configuration serves records');
  });

  it('fails with the file name when a manifest is missing', () => {
    const conf = file('records-missing.Corefile', 'example.com {\n    k8s_gateway {\n        manifests /nonexistent/exdns-manifests\n    }\n}\n');
    const r = run(['records', '-conf', conf], { cwd: dir('records-missing') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('/nonexistent/exdns-manifests');
  });
});
