/**
 * The hosts file kept current: read at start, then its stat signature checked every `reload`
 * period and the file read again when the signature moved (CoreDNS compares mtime and size; the
 * inode and ctime are compared too, as the manifests source does, so a ConfigMap's symlink swap
 * or a same-size edit within the mtime granularity is seen).
 *
 * A file that cannot be read (removed, permissions, a folder) keeps its last good entries being
 * served, as CoreDNS does; once it can be read again its new content is used.
 */
import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { Logger } from '../../src/log.js';

export interface HostsFileOptions {
  readonly path: string;
  /** Milliseconds between checks; 0 reads the file once at start. */
  readonly reloadMs: number;
  readonly log: Logger;
  /** Called with the content of every new version of the file and its modification time. */
  onRead(text: string, mtimeMs: number): Promise<void> | void;
}

function signature(st: Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'ENOENT' ? 'no such file or directory' : e.message;
}

export class HostsFile {
  private sig = '';
  /** Last problem reported, so a file that stays unreadable is reported once. */
  private problem = '';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: HostsFileOptions) {}

  async start(): Promise<void> {
    await this.check();
    if (this.stopped || this.opts.reloadMs <= 0) return;
    this.timer = setInterval(() => {
      // A slow read (large file, network filesystem) is never overlapped by the next tick.
      this.running ??= this.check().finally(() => (this.running = undefined));
    }, this.opts.reloadMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Reads the file when its signature moved since the last good read. */
  async check(): Promise<void> {
    const { path } = this.opts;
    let before: Stats;
    let text: string;
    try {
      before = await stat(path);
      if (signature(before) === this.sig) return;
      if (before.isDirectory()) throw new Error('is a directory');
      text = (await readFile(path)).toString('utf8');
    } catch (err) {
      const everRead = this.sig !== '';
      // A file missing from the start was reported by setup already.
      if (everRead || (err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.report(`cannot read hosts file ${path}: ${reason(err)}${everRead ? '; keeping its last good entries' : ''}`);
      }
      return;
    }
    // Caught mid-write: the next check sees the signature moved and reads the finished file.
    const after = await stat(path).catch(() => undefined);
    if (after === undefined || signature(after) !== signature(before) || this.stopped) return;
    this.sig = signature(before);
    this.problem = '';
    await this.opts.onRead(text, before.mtimeMs);
  }

  private report(problem: string): void {
    if (problem !== this.problem) this.opts.log.warning(problem);
    this.problem = problem;
  }
}
