/**
 * A real authoritative DNS server for tests and benchmarks: NSD (Debian package `nsd`,
 * installed by scripts/setup-test-tools.mjs), started as a foreground child process with its own
 * configuration and zone files in a temporary directory, on a free loopback port, UDP and TCP.
 *
 *     const ns = await startAuthoritative({ zone: 'example.net', records: ['www 300 IN A 192.0.2.80'] });
 *     // ... query 127.0.0.1:ns.port ...
 *     await ns.stop();
 *
 * Self-contained (node: modules only, erasable TypeScript) so that a benchmark, a plain `.mjs`
 * script run by Node 24, can import this file directly (Node strips the types itself):
 *
 *     import { startAuthoritative } from '../test/upstream/authoritative.ts';
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface ZoneSpec {
  /** Origin, e.g. `example.net` (a trailing dot is optional). */
  readonly zone: string;
  /**
   * Master-file (RFC 1035) lines, names relative to the origin unless they end in a dot:
   * `www 300 IN A 192.0.2.80`. An SOA and an NS record are added when the lines have none.
   */
  readonly records?: readonly string[];
}

export interface AuthoritativeOptions extends ZoneSpec {
  /** More zones served by the same server. */
  readonly extraZones?: readonly ZoneSpec[];
  /** Listen address; default 127.0.0.1. */
  readonly host?: string;
  /** Port; default a free one. */
  readonly port?: number;
  /** How long to wait for the first answer; default 10 s. */
  readonly startTimeoutMs?: number;
}

export interface Authoritative {
  readonly host: string;
  readonly port: number;
  /** `127.0.0.1:PORT`, as a forward TO entry. */
  readonly address: string;
  /** The server's directory (configuration, zones, log). */
  readonly dir: string;
  readonly pid: number;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

const NSD_PATHS = ['/usr/sbin/nsd', '/usr/local/sbin/nsd', '/usr/bin/nsd'];

/** The NSD binary, or undefined when it is not installed. */
export function findNsd(): string | undefined {
  for (const p of NSD_PATHS) if (existsSync(p)) return p;
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir !== '' && existsSync(path.join(dir, 'nsd'))) return path.join(dir, 'nsd');
  }
  return undefined;
}

function fqdn(z: string): string {
  return z.endsWith('.') ? z : z + '.';
}

/** The zone file text: $ORIGIN, $TTL, SOA and NS unless given, then the records. */
export function zoneFile(spec: ZoneSpec): string {
  const origin = fqdn(spec.zone);
  const records = spec.records ?? [];
  const has = (type: string) => records.some((r) => new RegExp(`\\s${type}\\s`, 'i').test(` ${r} `));
  const lines = [`$ORIGIN ${origin}`, '$TTL 300'];
  if (!has('SOA')) lines.push(`@ 300 IN SOA ns1.${origin} hostmaster.${origin} 1 7200 1800 86400 60`);
  if (!has('NS')) lines.push(`@ 300 IN NS ns1.${origin}`);
  lines.push(...records);
  return lines.join('\n') + '\n';
}

function nsdConf(dir: string, host: string, port: number, zones: readonly ZoneSpec[]): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = [
    'server:',
    `    ip-address: ${host}@${port}`,
    `    port: ${port}`,
    // Run as whoever starts it, without chroot: everything stays in `dir`.
    '    username: ""',
    '    chroot: ""',
    `    zonesdir: ${q(dir)}`,
    `    pidfile: ${q(path.join(dir, 'nsd.pid'))}`,
    '    database: ""',
    `    zonelistfile: ${q(path.join(dir, 'zone.list'))}`,
    `    xfrdfile: ${q(path.join(dir, 'xfrd.state'))}`,
    `    xfrdir: ${q(dir)}`,
    `    logfile: ${q(path.join(dir, 'nsd.log'))}`,
    // Debian's NSD rate-limits replies per name and client /24 (about 200/s): a test or bench
    // sending from loopback would see drops that are NSD's, not the code under test's.
    '    rrl-ratelimit: 0',
    '    rrl-whitelist-ratelimit: 0',
    '    verbosity: 1',
    '    server-count: 1',
    '    hide-version: yes',
    `    do-ip4: ${host.includes(':') ? 'no' : 'yes'}`,
    `    do-ip6: ${host.includes(':') ? 'yes' : 'no'}`,
    'remote-control:',
    '    control-enable: no',
  ];
  zones.forEach((z, i) => lines.push('zone:', `    name: ${q(fqdn(z.zone))}`, `    zonefile: "zone${i}.zone"`));
  return lines.join('\n') + '\n';
}

/** A port free for both TCP and UDP on `host` right now. */
async function freePort(host: string): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen({ host, port: 0, exclusive: true }, () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const ok = await new Promise<boolean>((resolve) => {
      const u = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
      u.once('error', () => {
        u.close();
        resolve(false);
      });
      u.bind({ address: host, port, exclusive: true }, () => u.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error(`no free port on ${host}`);
}

/** An SOA query for `zone` with ID `id`. */
function soaQuery(zone: string, id: number): Buffer {
  const labels = fqdn(zone).slice(0, -1).split('.').filter((l) => l !== '');
  const name = Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), Buffer.from(l, 'latin1')]), Buffer.from([0])]);
  const q = Buffer.alloc(12 + name.length + 4);
  q.writeUInt16BE(id, 0);
  q.writeUInt16BE(1, 4);
  name.copy(q, 12);
  q.writeUInt16BE(6, 12 + name.length);
  q.writeUInt16BE(1, 14 + name.length);
  return q;
}

/** A zone file NSD could not load: it then serves on without the zone, so waiting would only time out. */
function zoneErrors(logFile: string): string | undefined {
  let log: string;
  try {
    log = readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  return /error: zone \S+ file \S+ read with \d+ errors/.test(log) ? log : undefined;
}

/**
 * Resolves once `zone SOA` is answered authoritatively (NOERROR, AA) over UDP; rejects when
 * `child` exits, a zone fails to load (`logFile`) or time is up.
 */
function waitReady(child: ChildProcess, host: string, port: number, zone: string, logFile: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const id = 0x5a5a;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearInterval(poll);
      clearTimeout(limit);
      child.off('exit', onExit);
      sock.close();
      if (err) reject(err);
      else resolve();
    };
    const onExit = (code: number | null, signal: string | null) => finish(new Error(`nsd exited (${signal ?? code}) before answering`));
    child.once('exit', onExit);
    sock.on('error', () => undefined);
    sock.on('message', (m) => {
      if (m.length >= 12 && m.readUInt16BE(0) === id && (m[2]! & 0x04) !== 0 && (m[3]! & 0x0f) === 0) finish();
    });
    const q = soaQuery(zone, id);
    const poll = setInterval(() => {
      if (zoneErrors(logFile) !== undefined) finish(new Error('nsd could not load a zone'));
      else sock.send(q, port, host);
    }, 50);
    const limit = setTimeout(() => finish(new Error(`nsd did not answer on ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
  });
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

async function startOnce(nsd: string, opts: AuthoritativeOptions, host: string, port: number): Promise<Authoritative> {
  const zones = [opts, ...(opts.extraZones ?? [])];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'exdns-nsd-'));
  zones.forEach((z, i) => writeFileSync(path.join(dir, `zone${i}.zone`), zoneFile(z)));
  const conf = path.join(dir, 'nsd.conf');
  writeFileSync(conf, nsdConf(dir, host, port, zones));
  let output = '';
  // -d: stay in the foreground, a child of this process.
  const child = spawn(nsd, ['-d', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  // Never leave a server behind when the test process ends without stopping it.
  const onProcessExit = () => child.kill('SIGKILL');
  process.once('exit', onProcessExit);

  const stop = async (): Promise<void> => {
    process.off('exit', onProcessExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitExit(child, 5000))) {
        child.kill('SIGKILL');
        await waitExit(child, 2000);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitReady(child, host, port, opts.zone, path.join(dir, 'nsd.log'), opts.startTimeoutMs ?? 10_000);
  } catch (e) {
    let log = '';
    try {
      log = readFileSync(path.join(dir, 'nsd.log'), 'utf8');
    } catch {
      // No log written yet.
    }
    await stop();
    throw new Error(`${(e as Error).message}\n${output}${log}`);
  }
  return { host, port, address: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`, dir, pid: child.pid ?? 0, stop };
}

/**
 * Starts NSD serving `zone` (and `extraZones`) and resolves once it answers. Throws when NSD is
 * not installed (`npm run setup:test` installs it) or does not come up.
 */
export async function startAuthoritative(opts: AuthoritativeOptions): Promise<Authoritative> {
  const nsd = findNsd();
  if (nsd === undefined) throw new Error('nsd is not installed: run `npm run setup:test` (apt-get install nsd)');
  const host = opts.host ?? '127.0.0.1';
  if (opts.port !== undefined) return startOnce(nsd, opts, host, opts.port);
  // A free port can be taken between the check and NSD's bind: try again with another.
  let last: Error | undefined;
  for (let i = 0; i < 3; i++) {
    try {
      return await startOnce(nsd, opts, host, await freePort(host));
    } catch (e) {
      last = e as Error;
      if (!/bind|in use/i.test(last.message)) throw last;
    }
  }
  throw last ?? new Error('nsd did not start');
}
