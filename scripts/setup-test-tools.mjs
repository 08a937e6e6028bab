#!/usr/bin/env node
// Installs the external tools the tests and benchmarks drive (dig from bind9-dnsutils, dnsperf,
// the NSD authoritative server) from Debian's packages when they are missing. Needs root (or
// passwordless sudo) only when something is actually missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const wanted = [
  { bin: 'dig', pkg: 'bind9-dnsutils' },
  { bin: 'dnsperf', pkg: 'dnsperf' },
  // The real upstream of the forward plugin's tests (test/upstream/authoritative.ts starts its
  // own instances). It lives in /usr/sbin, outside a non-root PATH; the system service the
  // package sets up is not wanted (it would take port 53).
  { bin: 'nsd', pkg: 'nsd', dirs: ['/usr/sbin'], service: 'nsd' },
];

const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
const present = (w) => has(w.bin) || (w.dirs ?? []).some((d) => existsSync(`${d}/${w.bin}`));
const missing = wanted.filter((w) => !present(w));
if (missing.length === 0) process.exit(0);

const pkgs = missing.map((m) => m.pkg);
console.log(`setup: installing ${pkgs.join(' ')} (Debian packages)`);
const isRoot = process.getuid?.() === 0;
const sudo = isRoot ? [] : has('sudo') ? ['sudo', '-n'] : null;
if (sudo === null) {
  console.error(`setup: ${missing.map((m) => m.bin).join(', ')} missing and not running as root; install: apt-get install -y ${pkgs.join(' ')}`);
  process.exit(1);
}
const run = (args) => execFileSync(args[0], args.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
try {
  run([...sudo, 'apt-get', 'update', '-qq']);
  run([...sudo, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...pkgs]);
} catch (e) {
  console.error(`setup: apt-get failed: ${e.message}`);
  process.exit(1);
}
const still = missing.filter((w) => !present(w));
if (still.length > 0) {
  console.error(`setup: still missing after install: ${still.map((m) => m.bin).join(', ')}`);
  process.exit(1);
}
// Where systemd runs, stop and disable the services the packages started (best effort).
if (existsSync('/run/systemd/system')) {
  for (const w of missing) {
    if (w.service === undefined) continue;
    const cmd = [...sudo, 'systemctl', 'disable', '--now', w.service];
    spawnSync(cmd[0], cmd.slice(1), { stdio: 'ignore' });
  }
}
