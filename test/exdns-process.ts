/**
 * The built CLI (dist/src/cli.js) as a child process: building it when the sources are newer,
 * and running it as a daemon whose output tests can wait on.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cli = path.join(root, 'dist', 'src', 'cli.js');

/** Newest modification time of the sources that make up dist/ (non-test .ts under src/ and plugins/). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export function buildIfStale(): void {
  const built = existsSync(cli) ? statSync(cli).mtimeMs : 0;
  const newest = Math.max(newestSource(path.join(root, 'src')), newestSource(path.join(root, 'plugins')), statSync(path.join(root, 'package.json')).mtimeMs);
  if (built > newest) return;
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8', timeout: 110_000 });
  // tsc still emits on type errors (someone may be mid-edit elsewhere); only a missing output is fatal.
  if (r.status !== 0) console.warn(`tsc -p tsconfig.build.json exited ${r.status}:\n${r.stdout}${r.stderr}`);
  if (!existsSync(cli)) throw new Error(`build did not produce ${cli}`);
}

/** A long-running CLI process with its output collected. */
export class Daemon {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], opts: { cwd: string; stdin?: string; env?: NodeJS.ProcessEnv; nodeArgs?: string[] }) {
    this.child = spawn(process.execPath, [...(opts.nodeArgs ?? []), cli, ...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => void (this.stdout += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => void (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    if (opts.stdin !== undefined) this.child.stdin!.end(opts.stdin);
    else this.child.stdin!.end();
  }

  get output(): string {
    return `--- stdout\n${this.stdout}--- stderr\n${this.stderr}`;
  }

  /** Waits until stdout contains `text` (or the process exits, or the time runs out). */
  async waitFor(text: string | RegExp, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    const has = () => (typeof text === 'string' ? this.stdout.includes(text) : text.test(this.stdout));
    while (!has()) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`exited before printing ${text}\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${text}\n${this.output}`);
      await sleep(25);
    }
  }

  kill(sig: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(sig);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A port free a moment ago for both UDP and TCP (a DNS server binds both). */
export async function freePort(): Promise<number> {
  for (;;) {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    const tcpFree = await new Promise<boolean>((resolve) => {
      const t = net.createServer();
      t.once('error', () => resolve(false));
      t.listen(port, '127.0.0.1', () => t.close(() => resolve(true)));
    });
    if (tcpFree) return port;
  }
}

/** The HTTP status of /ready on a local port, or undefined while nothing answers there. */
export async function readyStatus(port: number): Promise<number | undefined> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/ready`)).status;
  } catch {
    return undefined;
  }
}
