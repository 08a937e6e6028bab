/**
 * exdns as its own process against the testbed's kube-apiserver, with the read-only ServiceAccount
 * kubeconfig, and dig to ask it questions. Shared by the e2e-kube suites.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dig } from '../e2e/dig.js';
import { buildIfStale, Daemon, freePort, readyStatus, root, sleep } from '../exdns-process.js';

export interface Exdns {
  readonly daemon: Daemon;
  readonly dnsPort: number;
  readonly readyPort: number;
  readonly metricsPort: number;
  stop(): Promise<void>;
}

/**
 * Starts exdns with `corefile`, in which `DNS_PORT`, `READY_PORT` and `METRICS_PORT` are replaced
 * by free ports, and waits for /ready (unless `waitReady` is false).
 */
export async function startExdns(corefile: string, opts: { waitReady?: boolean; readyTimeoutMs?: number } = {}): Promise<Exdns> {
  buildIfStale();
  const dnsPort = await freePort();
  const readyPort = await freePort();
  const metricsPort = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'exdns-e2e-kube-'));
  const file = path.join(dir, 'Corefile');
  writeFileSync(
    file,
    corefile.replaceAll('DNS_PORT', String(dnsPort)).replaceAll('READY_PORT', String(readyPort)).replaceAll('METRICS_PORT', String(metricsPort)),
  );
  // The product's own runtime and flags (package.json `start`), not the test runner's.
  const daemon = new Daemon(['-conf', file], { cwd: root, nodeArgs: ['--max-semi-space-size=4', '--heap-growing-percent=20'] });
  const exdns: Exdns = {
    daemon,
    dnsPort,
    readyPort,
    metricsPort,
    stop: async () => {
      daemon.kill('SIGTERM');
      const t = setTimeout(() => daemon.kill('SIGKILL'), 5000);
      await daemon.exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (opts.waitReady !== false) {
    try {
      await waitReady(exdns, opts.readyTimeoutMs ?? 30_000);
    } catch (e) {
      await exdns.stop();
      throw e;
    }
  }
  return exdns;
}

export async function waitReady(exdns: Exdns, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await readyStatus(exdns.readyPort)) !== 200) {
    if (exdns.daemon.child.exitCode !== null) throw new Error(`exdns exited before it was ready\n${exdns.daemon.output}`);
    if (Date.now() > deadline) throw new Error(`exdns not ready after ${ms} ms\n${exdns.daemon.output}`);
    await sleep(100);
  }
}

/** One metric's value from /metrics (the first series whose labels contain `labels`). */
export async function metric(exdns: Exdns, name: string, labels = ''): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${exdns.metricsPort}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith('{') || rest.startsWith(' '))) continue;
    if (labels !== '' && !rest.includes(labels)) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** What dig saw: the rcode and the answer section's records of the asked type, as "TYPE RDATA". */
export interface Seen {
  readonly status: string;
  readonly records: string[];
  readonly text: string;
}

export async function ask(exdns: Exdns, name: string, type = 'A'): Promise<Seen> {
  const r = await dig(exdns.dnsPort, '+norecurse', name, type);
  const m = r.messages[0];
  if (m === undefined) return { status: `no reply (dig exit ${r.code})`, records: [], text: r.stdout + r.stderr };
  const records = m.answer.map((f) => `${f[3]} ${f.slice(4).join(' ')}`).sort();
  return { status: m.status, records, text: r.stdout };
}

/**
 * Asks until `want` holds (the watch delivers changes asynchronously), and returns how long that
 * took; fails with the last answer seen.
 */
export async function until(exdns: Exdns, name: string, type: string, want: (s: Seen) => boolean, ms = 10_000): Promise<number> {
  const start = Date.now();
  let last: Seen | undefined;
  for (;;) {
    last = await ask(exdns, name, type);
    if (want(last)) return Date.now() - start;
    if (Date.now() - start > ms) {
      throw new Error(`${name} ${type}: still ${last.status} ${JSON.stringify(last.records)} after ${ms} ms\n${last.text}\n--- exdns\n${exdns.daemon.output.slice(-4000)}`);
    }
    await sleep(50);
  }
}

export const answers =
  (...records: string[]) =>
  (s: Seen): boolean =>
    s.status === 'NOERROR' && JSON.stringify(s.records) === JSON.stringify([...records].sort());

export const nxdomain = (s: Seen): boolean => s.status === 'NXDOMAIN';
