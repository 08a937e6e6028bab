/**
 * loop in a real server. A test-only plugin below it, `relaytest`, sends every query it gets
 * back to the port it came in on and answers with what comes back, like `forward . 127.0.0.1`
 * on a server that is its own upstream: the probe circles until loop ends the process with
 * CoreDNS's message. Without the relay the probe is answered once and nothing happens. In the
 * test process process.exit is stubbed; the last test runs the built exdns and sees it exit.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dig1 } from '../../test/e2e/dig.js';
import { buildIfStale, freePort, root } from '../../test/exdns-process.js';
import { startServer, type RunningServer } from '../../test/server.js';
import { setLogSink } from '../../src/log.js';
import { nextOrFailure, type Handler, type PluginDefinition } from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import type { ResponseWriter } from '../../src/plugin/writer.js';
import { decodeMessage } from '../../src/wire/message.js';
import type { LoopInstance } from './instance.js';

/** Thrown by the mocked process.exit, so the looping query stops where the real exit would. */
class Exited extends Error {}

/** Sends the raw query to the server's own port and writes the reply (none: passes the query on). */
class Relay implements Handler {
  readonly name = 'relaytest';
  constructor(private readonly next: Handler | undefined) {}

  async serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    const reply = await new Promise<Buffer | undefined>((resolve) => {
      const s = dgram.createSocket('udp4');
      const t = setTimeout(() => finish(undefined), 3000);
      const finish = (b: Buffer | undefined) => {
        clearTimeout(t);
        s.close();
        resolve(b);
      };
      s.on('message', (m) => finish(m));
      s.on('error', () => finish(undefined));
      s.send(req.query.raw, req.client.localPort, '127.0.0.1');
    });
    if (reply === undefined) return nextOrFailure(this.name, this.next, req, w);
    w.write(decodeMessage(reply));
    return reply.readUInt16BE(2) & 0xf;
  }
}

const relaytest: PluginDefinition = {
  name: 'relaytest',
  setup(c) {
    c.noArgs();
    return { handler: (next) => new Relay(next) };
  },
};

describe('loop end to end', () => {
  let srv: RunningServer | undefined;
  let lines: string[];
  let restoreSink: ReturnType<typeof setLogSink>;
  let exits: Array<number | string | null | undefined>;

  beforeEach(() => {
    lines = [];
    exits = [];
    restoreSink = setLogSink((l) => lines.push(l));
    vi.spyOn(process, 'exit').mockImplementation((code) => {
      exits.push(code);
      throw new Exited(`process.exit(${String(code)})`);
    });
  });

  afterEach(async () => {
    await srv?.stop();
    srv = undefined;
    setLogSink(restoreSink);
    vi.restoreAllMocks();
  });

  it('stops exdns with CoreDNS fatal message when the server answers from itself', async () => {
    // The probe is sent as soon as the server listens, so the mocks are in place before.
    srv = await startServer('.:PORT {\n    loop\n    relaytest\n}\n', [relaytest]);
    const deadline = Date.now() + 10_000;
    while (exits.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(exits[0]).toBe(1);
    const fatal = lines.filter((l) => l.startsWith('[FATAL]'));
    expect(fatal[0]).toMatch(
      new RegExp(
        `^\\[FATAL\\] plugin/loop: Loop \\(127\\.0\\.0\\.1:\\d+ -> :${srv.port}\\) detected for zone "\\.", ` +
          `see https://coredns\\.io/plugins/loop#troubleshooting\\. Query: "HINFO \\d+\\.\\d+\\."$`,
      ),
    );
  });

  it('detects a loop brought in by a reload', async () => {
    srv = await startServer('.:PORT {\n    loop\n    whoami\n}\n', [relaytest]);
    srv.setCorefile('.:PORT {\n    loop\n    relaytest\n}\n');
    expect(await srv.instance.reload('test')).toBe(true);
    const deadline = Date.now() + 10_000;
    while (exits.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(exits[0]).toBe(1);
    expect(lines.filter((l) => l.startsWith('[FATAL] plugin/loop: Loop ('))).not.toEqual([]);
  });

  it('probes once and stays quiet when there is no loop', async () => {
    srv = await startServer('example.org:PORT {\n    loop\n    whoami\n}\n');
    const loop = srv.instance.configuration!.blocks[0]!.plugins.find((p) => p.name === 'loop')!.instance as LoopInstance;
    const deadline = Date.now() + 10_000;
    while (loop.state.seen === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(loop.state.seen).toBe(1);
    expect(loop.state.qname).toMatch(/^\d+\.\d+\.example\.org\.$/);
    expect(loop.state.address).toBe(`:${srv.port}`);
    const m = await dig1(srv.port, 'www.example.org', 'A');
    expect(m.status).toBe('NOERROR');
    expect(exits).toEqual([]);
    expect(lines.filter((l) => l.startsWith('[FATAL]'))).toEqual([]);
  });
});

describe('loop in the exdns process', () => {
  it('ends the process with status 1 and the fatal message', async () => {
    buildIfStale();
    const port = await freePort();
    const fixture = fileURLToPath(new URL('./testdata/looping-exdns.mjs', import.meta.url));
    const child = spawn(process.execPath, [fixture, '-conf', 'stdin', '-dns.port', String(port)], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => void (stdout += d));
    child.stdin.end('. {\n    loop\n    relaytest\n}\n');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      new RegExp(
        `^\\[FATAL\\] plugin/loop: Loop \\(127\\.0\\.0\\.1:\\d+ -> :${port}\\) detected for zone "\\.", ` +
          `see https://coredns\\.io/plugins/loop#troubleshooting\\. Query: "HINFO \\d+\\.\\d+\\."$`,
        'm',
      ),
    );
  });

  it('with -workers, a fatal loop stops every worker and the primary exits 1 (no restarts)', async () => {
    buildIfStale();
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'exdns-loop-'));
    const conf = path.join(dir, 'Corefile');
    writeFileSync(conf, `.:${port} {\n    loop\n    relaytest\n}\n`);
    const fixture = fileURLToPath(new URL('./testdata/looping-exdns.mjs', import.meta.url));
    const child = spawn(process.execPath, [fixture, '-conf', conf, '-workers', '2'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => void (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => void (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
    expect(code, out).toBe(1);
    expect(out).toContain('[FATAL] plugin/loop: Loop');
    expect(out).toContain('stopped on a fatal error; stopping every worker');
    expect(out).not.toContain('starting a new one');
  });
});
