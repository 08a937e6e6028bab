import { mkdtemp, mkdir, rm, utimes, writeFile, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log.js';
import { HostsFile } from './file.js';

function recorder() {
  const warnings: string[] = [];
  const reads: Array<{ text: string; mtimeMs: number }> = [];
  const log: Logger = { debug: () => undefined, info: () => undefined, warning: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  return { warnings, reads, log, onRead: (text: string, mtimeMs: number) => void reads.push({ text, mtimeMs }) };
}

describe('HostsFile', () => {
  let dir: string;
  let file: string;
  const opened: HostsFile[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'exdns-hosts-file-'));
    file = path.join(dir, 'hosts');
  });
  afterEach(async () => {
    for (const f of opened.splice(0)) await f.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function open(r: ReturnType<typeof recorder>, reloadMs = 0): HostsFile {
    const f = new HostsFile({ path: file, reloadMs, log: r.log, onRead: r.onRead });
    opened.push(f);
    return f;
  }

  it('reads the file at start and again only when it changed', async () => {
    await writeFile(file, '192.0.2.1 a.example.org\n');
    const r = recorder();
    const f = open(r);
    await f.start();
    expect(r.reads.map((x) => x.text)).toEqual(['192.0.2.1 a.example.org\n']);
    await f.check();
    expect(r.reads).toHaveLength(1);
    await writeFile(file, '192.0.2.2 a.example.org\n');
    await f.check();
    expect(r.reads.map((x) => x.text)).toEqual(['192.0.2.1 a.example.org\n', '192.0.2.2 a.example.org\n']);
  });

  it('sees a same-size edit that keeps the modification time', async () => {
    await writeFile(file, '192.0.2.1 a.example.org\n');
    const when = new Date('2024-01-01T00:00:00Z');
    await utimes(file, when, when);
    const r = recorder();
    const f = open(r);
    await f.start();
    await writeFile(file, '192.0.2.9 a.example.org\n');
    await utimes(file, when, when);
    await f.check();
    expect(r.reads.at(-1)?.text).toBe('192.0.2.9 a.example.org\n');
    expect(r.reads.at(-1)?.mtimeMs).toBe(when.getTime());
  });

  it('sees a file replaced by a rename (editors, ConfigMap symlink swaps)', async () => {
    await writeFile(file, '192.0.2.1 a.example.org\n');
    const r = recorder();
    const f = open(r);
    await f.start();
    await writeFile(path.join(dir, 'next'), '192.0.2.3 a.example.org\n');
    await rename(path.join(dir, 'next'), file);
    await f.check();
    expect(r.reads.at(-1)?.text).toBe('192.0.2.3 a.example.org\n');
  });

  it('keeps the last good content while the file is unreadable, and reports it once', async () => {
    await writeFile(file, '192.0.2.1 a.example.org\n');
    const r = recorder();
    const f = open(r);
    await f.start();
    await rm(file);
    await f.check();
    await f.check();
    expect(r.reads).toHaveLength(1);
    expect(r.warnings).toEqual([`cannot read hosts file ${file}: no such file or directory; keeping its last good entries`]);

    await mkdir(file);
    await f.check();
    expect(r.warnings.at(-1)).toBe(`cannot read hosts file ${file}: is a directory; keeping its last good entries`);
    await rm(file, { recursive: true });

    await writeFile(file, '192.0.2.4 a.example.org\n');
    await f.check();
    expect(r.reads.at(-1)?.text).toBe('192.0.2.4 a.example.org\n');
  });

  it('is silent about a file missing from the start, and reads it once it appears', async () => {
    const r = recorder();
    const f = open(r);
    await f.start();
    expect(r.reads).toEqual([]);
    expect(r.warnings).toEqual([]);
    await writeFile(file, '192.0.2.1 a.example.org\n');
    await f.check();
    expect(r.reads).toHaveLength(1);
  });

  it('checks every reload period', async () => {
    await writeFile(file, '192.0.2.1 a.example.org\n');
    const r = recorder();
    await open(r, 20).start();
    await writeFile(file, '192.0.2.2 a.example.org\n');
    const deadline = Date.now() + 5000;
    while (r.reads.length < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    expect(r.reads.map((x) => x.text)).toEqual(['192.0.2.1 a.example.org\n', '192.0.2.2 a.example.org\n']);
  });

  it('reads once with reload 0', async () => {
    await writeFile(file, '192.0.2.1 a.example.org\n');
    const r = recorder();
    await open(r, 0).start();
    await writeFile(file, '192.0.2.2 a.example.org\n');
    await new Promise((res) => setTimeout(res, 100));
    expect(r.reads).toHaveLength(1);
  });
});
