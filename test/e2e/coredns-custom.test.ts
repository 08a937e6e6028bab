/**
 * The coredns-custom convention (Gardener, AKS): the main Corefile imports `custom/*.override`
 * inside its server block and `custom/*.server` at top level, and `custom/` is a mounted
 * ConfigMap, updated by kubelet's atomic `..data` symlink swap. exdns runs as its own process
 * with `reload 2s`; the test edits the folder as kubelet would and asks with dig.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIfStale, Daemon, freePort, sleep } from '../exdns-process.js';
import { dig } from './dig.js';

let dir: string;
let custom: string;
let port: number;
let daemon: Daemon;
let generation = 0;

/**
 * Publishes `files` the way kubelet updates a ConfigMap volume: a new timestamped folder, a
 * `..data` symlink swapped over atomically, top-level symlinks for each key through `..data`,
 * and the links of removed keys deleted afterwards.
 */
function publish(files: Record<string, string>): void {
  const ts = `..2026_11_21_${String(++generation).padStart(4, '0')}`;
  mkdirSync(path.join(custom, ts));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(custom, ts, name), text);
  symlinkSync(ts, path.join(custom, '..data_tmp'));
  renameSync(path.join(custom, '..data_tmp'), path.join(custom, '..data'));
  for (const name of Object.keys(files)) {
    try {
      symlinkSync(path.join('..data', name), path.join(custom, name));
    } catch {
      // the key existed before: its link already points through ..data
    }
  }
  for (const name of published) if (!(name in files)) unlinkSync(path.join(custom, name));
  published = new Set(Object.keys(files));
}
let published = new Set<string>();

async function status(name: string, type = 'A'): Promise<{ status: string; answer: string[][] }> {
  const r = await dig(port, '+norecurse', name, type);
  const m = r.messages[0];
  return m === undefined ? { status: 'no reply', answer: [] } : { status: m.status, answer: m.answer };
}

async function until(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${ms} ms\n${daemon.output.slice(-3000)}`);
    await sleep(200);
  }
}

beforeAll(async () => {
  buildIfStale();
  dir = mkdtempSync(path.join(tmpdir(), 'exdns-custom-'));
  custom = path.join(dir, 'custom');
  mkdirSync(custom);
  port = await freePort();
  // Gardener's placeholders: keys holding only a comment.
  publish({ 'changeme.server': '# placeholder\n', 'changeme.override': '# placeholder\n' });
  writeFileSync(
    path.join(dir, 'Corefile'),
    `example.org:${port} {
    whoami
    reload 2s 1s
    import custom/*.override
}
import custom/*.server
`,
  );
  daemon = new Daemon(['-conf', path.join(dir, 'Corefile')], { cwd: dir });
  await daemon.waitFor('Running configuration SHA512');
}, 120_000);

afterAll(async () => {
  daemon?.kill('SIGKILL');
  await daemon?.exited;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('coredns-custom: import custom/*.override and custom/*.server from a ConfigMap folder', () => {
  it('starts with only the placeholders: the main block serves, nothing else', async () => {
    expect((await status('example.org')).status).toBe('NOERROR');
    expect((await status('puglife.local')).status).toBe('REFUSED');
  });

  it('a new .server key adds a server block, and a new .override key adds directives to the main block', async () => {
    publish({
      'changeme.server': '# placeholder\n',
      'changeme.override': '# placeholder\n',
      'puglife.server': `puglife.local:${port} {\n    whoami\n}\n`,
      'any.override': 'any\n',
    });
    await until(async () => (await status('puglife.local')).status === 'NOERROR', 'puglife.local served');
    // `any` answers ANY with RFC 8482's HINFO instead of whoami's reply.
    await until(async () => (await status('example.org', 'ANY')).answer.some((f) => f[3] === 'HINFO'), 'any in the main block');
  });

  it('a broken override (a once-only plugin twice) keeps the old configuration serving and names both places', async () => {
    publish({
      'puglife.server': `puglife.local:${port} {\n    whoami\n}\n`,
      'any.override': 'any\n',
      'reload.override': 'reload 10s\n',
    });
    await daemon.waitFor(/plugin\/reload: this plugin can only be used once per Server Block \(.*Corefile:3, .*reload\.override:1\)/, 15_000);
    expect(daemon.stdout).toContain('Corefile changed but reload failed');
    expect((await status('puglife.local')).status).toBe('NOERROR');
    expect((await status('example.org', 'ANY')).answer.some((f) => f[3] === 'HINFO')).toBe(true);
  });

  it('a .server block for a zone and port already served is refused with both places named', async () => {
    publish({
      'puglife.server': `puglife.local:${port} {\n    whoami\n}\n`,
      'again.server': `example.org:${port} {\n    whoami\n}\n`,
    });
    await daemon.waitFor(/cannot serve dns:\/\/example\.org\.:\d+ - it is already defined \(blocks at .*Corefile:1 and .*again\.server:1\)/, 15_000);
    expect((await status('puglife.local')).status).toBe('NOERROR');
  });

  it('a .server block on a port the main Corefile does not use is served, with a warning', async () => {
    const other = await freePort();
    publish({ 'puglife.server': `puglife.local:${port} {\n    whoami\n}\n`, 'stray.server': `stray.local:${other} {\n    whoami\n}\n` });
    await daemon.waitFor(new RegExp(`stray\\.server:1: server block stray\\.local:${other} listens on port ${other}, which no block of .*Corefile uses`), 15_000);
    // Fixed: back to a good configuration, the override removed, the old key's link gone.
    publish({ 'puglife.server': `puglife.local:${port} {\n    whoami\n}\n` });
    await until(async () => !(await status('example.org', 'ANY')).answer.some((f) => f[3] === 'HINFO'), 'any removed from the main block');
    expect((await status('puglife.local')).status).toBe('NOERROR');
  });
});
