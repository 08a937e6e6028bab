#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=20
/**
 * The exdns command: CoreDNS's flags (single-dash long flags accepted, as Go's flag package
 * does), `validate`, signals, and optional reusePort workers.
 */
import cluster from 'node:cluster';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { plugins } from '../plugins/index.js';
import { PluginRegistry } from './plugin/registry.js';
import { Instance, type CorefileSource } from './server/instance.js';
import { VERSION } from './version.js';
import { WORKER_FATAL_EXIT } from './fatal.js';
import { log, setDebug, setLogSink } from './log.js';
import { parseDuration } from './plugin/duration.js';
import type { PluginInstance } from './plugin/plugin.js';

const LONG_FLAGS = ['conf', 'dns.port', 'plugins', 'version', 'quiet', 'pidfile', 'workers', 'dns.tcp.maxconns', 'debug', 'timeout'];

/** `-conf x`, `-conf=x`, `--conf x` all mean the same (Go flag syntax). */
export function normalizeArgs(argv: readonly string[]): string[] {
  return argv.map((a) => {
    const m = /^-{1,2}([a-z][\w.-]*)(=.*)?$/.exec(a);
    if (m && LONG_FLAGS.includes(m[1]!)) return `--${m[1]}${m[2] ?? ''}`;
    return a;
  });
}

function portArg(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError(`invalid port ${JSON.stringify(v)}`);
  return n;
}

function countArg(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

export function defaultCorefile(port: number): string {
  return `.:${port} {\n    whoami\n    log\n}\n`;
}

/** Where the configuration comes from: -conf FILE, -conf stdin, ./Corefile, or the built-in default. */
function corefileSource(conf: string | undefined, port: number): CorefileSource {
  if (conf === 'stdin') {
    const contents = readFileSync(0, 'utf8');
    return { load: async () => ({ contents, file: 'stdin' }) };
  }
  const file = conf ?? (existsSync('Corefile') ? 'Corefile' : undefined);
  if (file === undefined) return { load: async () => ({ contents: defaultCorefile(port), file: 'Corefile' }) };
  return {
    load: async () => {
      try {
        return { contents: await readFile(file, 'utf8'), file };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new Error(code === 'ENOENT' ? `open ${file}: no such file or directory` : `open ${file}: ${(e as Error).message}`);
      }
    },
  };
}

interface RunOptions {
  conf?: string;
  'dns.port': number;
  plugins?: boolean;
  version?: boolean;
  quiet?: boolean;
  pidfile?: string;
  workers: number;
  'dns.tcp.maxconns': number;
  debug?: boolean;
}

function banner(instance: Instance): string[] {
  const lines: string[] = [];
  for (const { spec, udpPort } of instance.servers()) {
    for (const zone of spec.zones.keys()) lines.push(`${zone === '.' ? '.' : zone}:${udpPort}${spec.host ? ` on ${spec.host}` : ''}`);
  }
  lines.push(`exdns-${VERSION}`, `${process.platform}/${process.arch}, node ${process.version}`);
  return lines;
}

async function run(opts: RunOptions, registry: PluginRegistry): Promise<void> {
  const port = opts['dns.port'];
  const source = corefileSource(opts.conf, port);
  setDebug(opts.debug === true);

  if (opts.workers > 1 && cluster.isPrimary) {
    // Validate once here so a broken Corefile fails fast instead of in every worker.
    const { contents, file } = await source.load();
    Instance.validate(contents, file, { registry, defaultPort: port });
    runPrimary(opts.workers, opts.pidfile);
    return;
  }

  const instance = new Instance({
    registry,
    source,
    defaultPort: port,
    reusePort: opts.workers > 1,
    tcpMaxConnections: opts['dns.tcp.maxconns'],
  });
  await instance.start();
  if (!opts.quiet && (cluster.isPrimary || cluster.worker?.id === 1)) for (const l of banner(instance)) console.log(l);
  if (opts.pidfile && cluster.isPrimary) writeFileSync(opts.pidfile, `${process.pid}\n`);

  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) {
      if (sig === 'SIGINT') process.exit(1);
      return;
    }
    stopping = true;
    log.info(`${sig}: Shutting down`);
    instance.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error(`shutdown: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGQUIT', () => process.exit(0));
  process.on('SIGHUP', () => undefined);
  process.on('SIGUSR1', () => void instance.reload('SIGUSR1'));
}

/** Forks N workers that each bind the DNS ports with reusePort; relays signals; replaces crashed workers. */
function runPrimary(n: number, pidfile: string | undefined): void {
  let stopping = false;
  const fork = () => cluster.fork();
  for (let i = 0; i < n; i++) fork();
  if (pidfile) writeFileSync(pidfile, `${process.pid}\n`);
  let status = 0;
  cluster.on('exit', (w, code, signal) => {
    if (!stopping && code === WORKER_FATAL_EXIT) {
      // A fatal condition (a forwarding loop) would only recur in a new worker: stop them all.
      log.error(`worker ${w.process.pid} stopped on a fatal error; stopping every worker`);
      stopping = true;
      status = 1;
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
    }
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(status);
      return;
    }
    log.error(`worker ${w.process.pid} exited (${signal ?? code}); starting a new one`);
    setTimeout(fork, 1000).unref();
  });
  const relay = (sig: NodeJS.Signals) => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(sig);
  };
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      stopping = true;
      relay(sig);
    });
  }
  process.on('SIGUSR1', () => relay('SIGUSR1'));
  process.on('SIGHUP', () => undefined);
}

export function buildProgram(registry: PluginRegistry): Command {
  const program = new Command()
    .name('exdns')
    .description('Authoritative DNS for Kubernetes external resources (CoreDNS-compatible Corefile)')
    .option('--conf <file>', 'Corefile to load ("stdin" reads standard input)')
    .option('-p, --dns.port <port>', 'default port for dns:// server blocks', portArg, 53)
    .option('--plugins', 'list the plugins in chain order and exit')
    .option('--version', 'show the version and exit')
    .option('--quiet', 'no startup banner')
    .option('--pidfile <file>', 'write the process id to this file')
    .option('--workers <n>', 'processes serving the same DNS ports with reusePort', countArg, 1)
    .option('--dns.tcp.maxconns <n>', 'open TCP connections allowed per listener', countArg, 1000)
    .option('--debug', 'log debug messages')
    .allowExcessArguments(false)
    // `exdns validate -conf FILE`: options after the subcommand belong to it.
    .enablePositionalOptions()
    .action(async (opts: RunOptions) => {
      if (opts.version) {
        console.log(`exdns-${VERSION}\n${process.platform}/${process.arch}, node ${process.version}`);
        return;
      }
      if (opts.plugins) {
        console.log('Server types:\n  dns\n\nCaddyfile loaders:\n  flag\n  default\n\nOther plugins:');
        for (const d of registry.ordered()) console.log(`  dns.${d.name}`);
        return;
      }
      await run(opts, registry);
    });
  program
    .command('validate')
    .description('parse the Corefile and run every plugin setup without listening')
    .option('--conf <file>', 'Corefile to check', 'Corefile')
    .option('-p, --dns.port <port>', 'default port for dns:// server blocks', portArg, 53)
    .action(async (opts: { conf: string; 'dns.port': number }) => {
      const { contents, file } = await corefileSource(opts.conf, opts['dns.port']).load();
      const cfg = Instance.validate(contents, file, { registry, defaultPort: opts['dns.port'] });
      const zones = cfg.listeners.flatMap((l) => [...l.zones.keys()].map((z) => `${z}:${l.port}`));
      console.log(`${file}: OK (${cfg.blocks.length} server block${cfg.blocks.length === 1 ? '' : 's'}: ${zones.join(' ')})`);
    });
  program
    .command('records')
    .description('load the configured sources, wait until they have synced, print every zone in master-file format and exit')
    .option('--conf <file>', 'Corefile to load', 'Corefile')
    .option('-p, --dns.port <port>', 'default port for dns:// server blocks', portArg, 53)
    .option('--timeout <duration>', 'how long to wait for the sources to sync (Go duration)', '30s')
    .action(async (opts: { conf: string; 'dns.port': number; timeout: string }) => {
      // Standard output carries the zones; logs go to standard error.
      setLogSink((line) => process.stderr.write(line + '\n'));
      const timeout = parseDuration(opts.timeout);
      const { contents, file } = await corefileSource(opts.conf, opts['dns.port']).load();
      const cfg = Instance.validate(contents, file, { registry, defaultPort: opts['dns.port'] });
      const all = cfg.blocks.flatMap((b) => b.plugins.map((p) => p.instance));
      const sources = all.filter((i) => typeof i.records === 'function');
      if (sources.length === 0) throw new Error(`${file}: no plugin in this configuration serves records from data (k8s_gateway)`);
      try {
        console.log(await recordsOf(sources, timeout));
      } finally {
        for (const i of sources) await i.stop?.();
      }
    });
  return program;
}

/** Starts the instances, waits until every one is ready, and returns their zone listings. */
async function recordsOf(instances: readonly PluginInstance[], timeoutMs: number): Promise<string> {
  for (const i of instances) await i.start?.();
  const deadline = Date.now() + timeoutMs;
  while (!instances.every((i) => i.ready?.() ?? true)) {
    if (Date.now() > deadline) throw new Error(`sources did not sync within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return instances.map((i) => i.records!()).join('\n');
}

export async function main(argv: readonly string[]): Promise<void> {
  const registry = new PluginRegistry(plugins);
  const program = buildProgram(registry);
  try {
    await program.parseAsync(normalizeArgs(argv), { from: 'user' });
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly || process.argv[1]?.endsWith('/exdns')) void main(process.argv.slice(2));
