#!/usr/bin/env node
// exdns kube testbed: a real kube-apiserver + etcd on 127.0.0.1, no Docker, no cluster.
//
// Usage (from the repository root; `npm run testbed -- <command>` is the same as
// `node scripts/testbed.mjs <command>`):
//
//   up [--crds all|none|NAME,...]  build or reuse the binaries, start etcd and kube-apiserver (or reuse
//                                  running ones, detected by pid file + health check), write
//                                  .testbed/kubeconfig (admin, client cert in system:masters), apply
//                                  test/testbed/rbac.yaml, write .testbed/exdns.kubeconfig (a 24 h
//                                  ServiceAccount token for exdns/exdns from the TokenRequest API) and
//                                  install the CRDs of test/testbed/crds (default: all; NAME is a file
//                                  name without .yaml or a CRD name such as gateways.gateway.networking.k8s.io)
//                                  and wait until they are Established. Every `up` asks for a fresh
//                                  token, so re-running it on a running testbed renews exdns.kubeconfig.
//   down [--purge]                 stop kube-apiserver then etcd (SIGTERM to the process group by pid, SIGKILL
//                                  after a grace period) and delete the etcd data, pid files, state.json and
//                                  kubeconfigs, so the next `up` starts from an empty cluster. pki/ and logs/
//                                  stay (the next `up` reuses the certificates); --purge removes all of .testbed/.
//   status                         print what runs (exit 0 when etcd and kube-apiserver are both up, else 1).
//   stop-apiserver                 stop kube-apiserver only; etcd, ports, certs and data stay.
//   start-apiserver                start kube-apiserver again with the same port, certs and etcd data.
//   install-crd FILE               install one CRD manifest and wait until it is Established.
//   build [kube-apiserver|etcd]    only build (or find cached) binaries.
//
// Binaries: kube-apiserver v1.34.10 and etcd v3.6.14, built with `go build` from the Go module proxy
// (needs Go >= 1.25 on PATH) through small wrapper modules, and cached per version outside the work tree
// at ${XDG_CACHE_HOME:-$HOME/.cache}/exdns/testbed/<name>-<version>/<name> (the wrapper module and the
// build log sit beside it in module/). Cold builds measured on 2 cores: kube-apiserver about 6 min,
// etcd about 1.5 min; with Go's build cache warm a rebuild takes ~10 s, and a cached binary is only
// checked with --version. The Go build/module caches are Go's defaults (shared with other builds).
//
// Tests: test/testbed/client.ts (typed helpers), test/e2e-kube/*.test.ts, run with
// `npm exec -- vitest run -c vitest.e2e-kube.config.ts` (the default vitest run excludes them).
//
// State lives in .testbed/ (override with EXDNS_TESTBED_DIR): pki/ (openssl-made CA, serving cert,
// admin client cert, service-account key pair), etcd/ (data), logs/, *.pid, state.json (the ports,
// chosen free at `up` and kept for restarts), kubeconfig, exdns.kubeconfig.
//
// The same operations are exported for tests (test/testbed/client.ts wraps them): up, down, status,
// stopApiserver, startApiserver, installCrd, deleteCrd, ensureBinaries, crdFiles, paths.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load as yamlLoad, loadAll as yamlLoadAll } from 'js-yaml';
import { BuildError, checkGoVersion, findGo, fmtDuration, isAlive, runLogged, sleep, tail, withLock as withSharedLock } from './go-build.mjs';

export const KUBE_VERSION = 'v1.34.10';
export const ETCD_VERSION = 'v3.6.14';
/** Oldest Go that builds both (etcd v3.6's server/go.mod says go 1.25.0; k8s 1.34 says 1.24.0). */
const MIN_GO = [1, 25];

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIR = process.env.EXDNS_TESTBED_DIR ? path.resolve(process.env.EXDNS_TESTBED_DIR) : path.join(ROOT, '.testbed');
export const CACHE_DIR = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'exdns', 'testbed');
export const CRD_DIR = path.join(ROOT, 'test', 'testbed', 'crds');
export const RBAC_FILE = path.join(ROOT, 'test', 'testbed', 'rbac.yaml');

export const paths = Object.freeze({
  dir: DIR,
  pki: path.join(DIR, 'pki'),
  etcdData: path.join(DIR, 'etcd'),
  logs: path.join(DIR, 'logs'),
  etcdLog: path.join(DIR, 'logs', 'etcd.log'),
  apiserverLog: path.join(DIR, 'logs', 'kube-apiserver.log'),
  etcdPid: path.join(DIR, 'etcd.pid'),
  apiserverPid: path.join(DIR, 'kube-apiserver.pid'),
  state: path.join(DIR, 'state.json'),
  kubeconfig: path.join(DIR, 'kubeconfig'),
  exdnsKubeconfig: path.join(DIR, 'exdns.kubeconfig'),
  lock: path.join(DIR, '.lock'),
});

/** The ServiceAccount exdns runs as (test/testbed/rbac.yaml creates it). */
export const EXDNS_SERVICE_ACCOUNT = Object.freeze({ namespace: 'exdns', name: 'exdns' });
const TOKEN_SECONDS = 24 * 3600;
const FIELD_MANAGER = 'exdns-testbed';

// ---------------------------------------------------------------------------------------------
// logging and small helpers

function log(msg) {
  process.stderr.write(`testbed: ${msg}\n`);
}

/** A lock of the testbed's (see go-build.mjs), waiting lines in this script's log. */
function withLock(lockDir, what, fn) {
  return withSharedLock(lockDir, what, fn, log);
}

class TestbedError extends BuildError {
  constructor(message, logFile) {
    super(message, logFile);
    this.name = 'TestbedError';
  }
}

function has(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

/** Installs missing Debian packages the way scripts/setup-test-tools.mjs does (root or sudo -n). */
function ensureTools(wanted) {
  const missing = wanted.filter((w) => !has(w.bin));
  if (missing.length === 0) return;
  const pkgs = missing.map((m) => m.pkg);
  log(`installing ${pkgs.join(' ')} (Debian packages)`);
  const sudo = process.getuid?.() === 0 ? [] : has('sudo') ? ['sudo', '-n'] : null;
  if (sudo === null) throw new TestbedError(`${missing.map((m) => m.bin).join(', ')} missing and not root; install: apt-get install -y ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...pkgs]]) {
    const full = [...sudo, ...args];
    const r = spawnSync(full[0], full.slice(1), { stdio: ['ignore', 2, 2], env });
    if (r.status !== 0) throw new TestbedError(`${full.join(' ')} failed`);
  }
  const still = missing.filter((w) => !has(w.bin));
  if (still.length > 0) throw new TestbedError(`still missing after apt-get: ${still.map((m) => m.bin).join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// building the binaries

const kubeLdflags = () => {
  const minor = KUBE_VERSION.split('.')[1];
  const buildDate = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const flags = ['-s', '-w'];
  // The keys of kubernetes/kubernetes:hack/lib/version.sh; /version and --version report them.
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    flags.push(`-X ${pkg}.gitVersion=${KUBE_VERSION}`, `-X ${pkg}.gitMajor=1`, `-X ${pkg}.gitMinor=${minor}`);
    flags.push(`-X ${pkg}.gitTreeState=clean`, `-X ${pkg}.buildDate=${buildDate}`);
  }
  return flags.join(' ');
};

const BINARIES = {
  'kube-apiserver': {
    version: KUBE_VERSION,
    pkg: 'k8s.io/kubernetes/cmd/kube-apiserver',
    tags: 'selinux,notest,grpcnotrace',
    ldflags: kubeLdflags,
    expect: `Kubernetes ${KUBE_VERSION}`,
    // k8s.io/kubernetes requires its 31 staging modules at v0.0.0 and maps them to ./staging, which
    // the module zip lacks, so `go install pkg@version` cannot work: a wrapper module replaces each
    // staging module with its published v0.Y.Z tag. The list comes from the upstream go.mod itself.
    async prepare(step) {
      const staging = `v0${KUBE_VERSION.slice(2)}`;
      await step('go', ['mod', 'init', 'testbed.local/kube-apiserver-build']);
      await step('go', ['mod', 'edit', '-go=1.24.0', '-godebug=default=go1.24']);
      const info = JSON.parse(await step('go', ['mod', 'download', '-json', `k8s.io/kubernetes@${KUBE_VERSION}`], true));
      const upstream = fs.readFileSync(info.GoMod, 'utf8');
      const mods = [...upstream.matchAll(/^\s*(k8s\.io\/[A-Za-z0-9._-]+)\s+=>\s+\.\/staging\//gm)].map((m) => m[1]);
      if (mods.length < 20) throw new TestbedError(`found only ${mods.length} staging replaces in ${info.GoMod}`);
      await step('go', ['mod', 'edit', ...mods.map((m) => `-replace=${m}=${m}@${staging}`)]);
      await step('go', ['mod', 'edit', `-require=k8s.io/kubernetes@${KUBE_VERSION}`]);
      await step('go', ['get', `k8s.io/kubernetes/cmd/kube-apiserver@${KUBE_VERSION}`]);
      return `${mods.length} staging modules at ${staging}`;
    },
  },
  etcd: {
    version: ETCD_VERSION,
    pkg: 'go.etcd.io/etcd/server/v3',
    tags: '',
    ldflags: () => `-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${ETCD_VERSION}`,
    expect: `etcd Version: ${ETCD_VERSION.slice(1)}`,
    // server/go.mod has relative replace lines (so no `go install ...@version`), but its requires
    // name real tags, so a wrapper module needs nothing but the require.
    async prepare(step) {
      await step('go', ['mod', 'init', 'testbed.local/etcd-build']);
      await step('go', ['get', `go.etcd.io/etcd/server/v3@${ETCD_VERSION}`]);
      return '';
    },
  },
};

export function binaryPath(name) {
  const b = BINARIES[name];
  if (!b) throw new TestbedError(`unknown binary ${name}`);
  return path.join(CACHE_DIR, `${name}-${b.version}`, name);
}

const verified = new Set();
function binaryOk(name) {
  const bin = binaryPath(name);
  if (verified.has(bin)) return true;
  if (!fs.existsSync(bin)) return false;
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  const ok = r.status === 0 && `${r.stdout}${r.stderr}`.includes(BINARIES[name].expect);
  if (ok) verified.add(bin);
  return ok;
}

async function buildBinary(name) {
  const spec = BINARIES[name];
  const bin = binaryPath(name);
  const home = path.dirname(bin);
  const mod = path.join(home, 'module');
  const logFile = path.join(mod, 'build.log');
  return withLock(path.join(CACHE_DIR, `.lock-${name}-${spec.version}`), `the ${name} build lock`, async () => {
    if (binaryOk(name)) return bin; // built meanwhile by another process
    const go = findGo('the testbed builds kube-apiserver and etcd with `go build` (Go >= 1.25)');
    const goVersion = checkGoVersion(go, MIN_GO, 'the testbed');
    fs.rmSync(mod, { recursive: true, force: true });
    fs.mkdirSync(mod, { recursive: true });
    for (const f of fs.readdirSync(home)) if (f.startsWith(`${name}.tmp-`)) fs.rmSync(path.join(home, f), { force: true }); // interrupted builds
    const t0 = Date.now();
    log(`building ${name} ${spec.version} with ${goVersion} (cold on 2 cores: kube-apiserver ~6 min or more, etcd ~1.5 min; log ${logFile})`);
    const heartbeat = setInterval(() => log(`building ${name}: still working (${fmtDuration(Date.now() - t0)})`), 60_000);
    try {
      const step = (cmd, args, capture = false) => runLogged(cmd === 'go' ? go : cmd, args, { cwd: mod, logFile, capture });
      const note = await spec.prepare(step);
      log(`${name}: wrapper module ready${note ? ` (${note})` : ''} after ${fmtDuration(Date.now() - t0)}; compiling`);
      const t1 = Date.now();
      const tmp = `${bin}.tmp-${process.pid}`;
      const args = ['build', '-trimpath'];
      if (spec.tags) args.push(`-tags=${spec.tags}`);
      args.push(`-ldflags=${spec.ldflags()}`, '-o', tmp, spec.pkg);
      // /usr/bin/time -v (Debian package `time`) reports the peak RSS of the biggest compile/link step.
      const timed = fs.existsSync('/usr/bin/time');
      await runLogged(timed ? '/usr/bin/time' : go, timed ? ['-v', go, ...args] : args, { cwd: mod, logFile });
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(tail(logFile, 30));
      const v = spawnSync(tmp, ['--version'], { encoding: 'utf8', timeout: 30_000 });
      if (v.status !== 0 || !`${v.stdout}${v.stderr}`.includes(spec.expect)) {
        fs.rmSync(tmp, { force: true });
        throw new TestbedError(`${name} --version said "${`${v.stdout}${v.stderr}`.trim()}", not "${spec.expect}"`, logFile);
      }
      fs.renameSync(tmp, bin);
      verified.add(bin);
      log(`built ${name} ${spec.version} in ${fmtDuration(Date.now() - t0)} (compile+link ${fmtDuration(Date.now() - t1)}${rss ? `, peak RSS ${Math.round(Number(rss[1]) / 1024)} MiB` : ''}) -> ${bin}`);
      return bin;
    } finally {
      clearInterval(heartbeat);
    }
  });
}

/** The cached binaries (built when missing), in the order given. */
export async function ensureBinaries(names = ['etcd', 'kube-apiserver']) {
  const out = {};
  for (const name of names) {
    if (binaryOk(name)) {
      out[name] = binaryPath(name);
      continue;
    }
    out[name] = await buildBinary(name);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// PKI and kubeconfigs

const PKI_FILES = ['ca.crt', 'ca.key', 'apiserver.crt', 'apiserver.key', 'admin.crt', 'admin.key', 'sa.key', 'sa.pub'];

function ensurePki() {
  const dir = paths.pki;
  if (PKI_FILES.every((f) => fs.existsSync(path.join(dir, f)))) return;
  ensureTools([{ bin: 'openssl', pkg: 'openssl' }]);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ssl = (...args) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new TestbedError(`openssl ${args.slice(0, 2).join(' ')} failed: ${r.stderr}`);
  };
  const days = '3650';
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', days, '-keyout', 'ca.key', '-out', 'ca.crt',
    '-subj', '/CN=exdns-testbed-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  fs.writeFileSync(path.join(dir, 'server.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
  fs.writeFileSync(path.join(dir, 'client.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  const leaf = (name, subj, ext) => {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-sha256', '-days', days,
      '-extfile', ext, '-out', `${name}.crt`);
  };
  leaf('apiserver', '/CN=kube-apiserver', 'server.ext');
  // Client certs: CN is the user, O the groups. system:masters is the superuser group.
  leaf('admin', '/O=system:masters/CN=testbed-admin', 'client.ext');
  ssl('genrsa', '-out', 'sa.key', '2048');
  ssl('rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
  log(`generated certificates and keys in ${dir}`);
}

function writeKubeconfig(file, state, user, userEntry) {
  const b64 = (f) => fs.readFileSync(path.join(paths.pki, f)).toString('base64');
  const entry = Object.entries(userEntry).map(([k, v]) => `    ${k}: ${v}`).join('\n');
  const text = `apiVersion: v1
kind: Config
clusters:
- name: exdns-testbed
  cluster:
    server: https://127.0.0.1:${state.apiPort}
    certificate-authority-data: ${b64('ca.crt')}
users:
- name: ${user}
  user:
${entry}
contexts:
- name: exdns-testbed
  context:
    cluster: exdns-testbed
    user: ${user}
current-context: exdns-testbed
`;
  fs.writeFileSync(file, text, { mode: 0o600 });
}

function writeAdminKubeconfig(state) {
  const b64 = (f) => fs.readFileSync(path.join(paths.pki, f)).toString('base64');
  writeKubeconfig(paths.kubeconfig, state, 'testbed-admin', {
    'client-certificate-data': b64('admin.crt'),
    'client-key-data': b64('admin.key'),
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP to etcd and the apiserver

/**
 * One request to the apiserver as the admin (client cert), or with a bearer token. Resolves to
 * { status, body } whatever the status; rejects on connection errors and timeouts.
 */
export function apiRequest(method, apiPath, { body, contentType = 'application/json', token, timeoutMs = 15_000, state } = {}) {
  const st = state ?? readState();
  if (!st) return Promise.reject(new TestbedError('no testbed state; run `npm run testbed -- up`'));
  const pki = (f) => fs.readFileSync(path.join(paths.pki, f));
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const headers = { Accept: 'application/json' };
  if (payload !== undefined) {
    headers['Content-Type'] = contentType;
    headers['Content-Length'] = Buffer.byteLength(payload);
  }
  if (token) headers.Authorization = `Bearer ${token}`;
  const opts = {
    host: '127.0.0.1',
    port: st.apiPort,
    path: apiPath,
    method,
    headers,
    ca: pki('ca.crt'),
    ...(token ? {} : { cert: pki('admin.crt'), key: pki('admin.key') }),
    agent: false,
  };
  return new Promise((resolve, reject) => {
    const req = https.request(opts, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (data += d));
      res.on('end', () => {
        let parsed = data;
        try {
          parsed = data ? JSON.parse(data) : undefined;
        } catch {
          // plain text (healthz) stays a string
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${apiPath}: timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

async function expectOk(method, apiPath, opts) {
  const r = await apiRequest(method, apiPath, opts);
  if (r.status < 200 || r.status > 299) {
    const msg = typeof r.body === 'object' && r.body?.message ? r.body.message : JSON.stringify(r.body);
    throw new TestbedError(`${method} ${apiPath}: HTTP ${r.status}: ${msg}`);
  }
  return r.body;
}

function etcdHealthy(state) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: state.etcdPort, path: '/health', agent: false, timeout: 3000 }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 && JSON.parse(data).health === 'true');
        } catch {
          resolve(false);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function apiserverReady(state) {
  try {
    for (const p of ['/livez', '/readyz']) {
      const r = await apiRequest('GET', p, { state, timeoutMs: 5000 });
      if (r.status !== 200) return false;
    }
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// processes

/** The pid in pidFile when that process is alive and runs `binName` (guards against pid reuse). */
function livePid(pidFile, binName) {
  let pid;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  try {
    const argv0 = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    if (path.basename(argv0) !== binName) return null;
  } catch {
    // no /proc: trust the pid file
  }
  return pid;
}

function spawnDaemon(bin, args, logFile, pidFile) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `=== ${new Date().toISOString()} ${path.basename(bin)} ${args.join(' ')}\n`);
  // detached: its own process group, so `down` can signal the group and the daemon outlives us.
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  let exit = null;
  child.once('exit', (code, signal) => (exit = signal ?? `exit ${code}`));
  child.once('error', (e) => (exit = e.message));
  child.unref();
  fs.writeFileSync(pidFile, `${child.pid}\n`);
  return { pid: child.pid, exited: () => exit };
}

async function stopDaemon(pidFile, binName, graceMs) {
  const pid = livePid(pidFile, binName);
  fs.rmSync(pidFile, { force: true });
  if (pid === null) return false;
  const signal = (sig) => {
    try {
      process.kill(-pid, sig); // the whole process group
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // gone
      }
    }
  };
  const t0 = Date.now();
  signal('SIGTERM');
  while (isAlive(pid) && Date.now() - t0 < graceMs) await sleep(100);
  if (isAlive(pid)) {
    log(`${binName} (pid ${pid}) still running after ${fmtDuration(graceMs)}; SIGKILL`);
    signal('SIGKILL');
    while (isAlive(pid) && Date.now() - t0 < graceMs + 5000) await sleep(100);
  }
  log(`stopped ${binName} (pid ${pid}) in ${fmtDuration(Date.now() - t0)}`);
  return true;
}

async function waitUntil(what, timeoutMs, check, daemon, logFile) {
  const t0 = Date.now();
  for (;;) {
    if (await check()) return Date.now() - t0;
    const exit = daemon?.exited();
    if (exit) throw new TestbedError(`${what}: process exited (${exit})`, logFile);
    if (Date.now() - t0 > timeoutMs) throw new TestbedError(`${what}: not ready after ${fmtDuration(timeoutMs)}`, logFile);
    await sleep(250);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function readState() {
  try {
    return JSON.parse(fs.readFileSync(paths.state, 'utf8'));
  } catch {
    return null;
  }
}

async function startEtcd(state) {
  const peer = `http://127.0.0.1:${state.etcdPeerPort}`;
  const client = `http://127.0.0.1:${state.etcdPort}`;
  const args = [
    '--name=testbed',
    `--data-dir=${paths.etcdData}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=testbed=${peer}`,
    '--unsafe-no-fsync=true', // throwaway data: skip fsync, much faster on slow disks
    '--log-level=warn',
  ];
  const t0 = Date.now();
  const d = spawnDaemon(state.binaries.etcd, args, paths.etcdLog, paths.etcdPid);
  await waitUntil('etcd', 30_000, () => etcdHealthy(state), d, paths.etcdLog);
  log(`etcd ${ETCD_VERSION} up on 127.0.0.1:${state.etcdPort} (pid ${d.pid}, ${fmtDuration(Date.now() - t0)})`);
}

function apiserverArgs(state) {
  const pki = (f) => path.join(paths.pki, f);
  return [
    `--etcd-servers=http://127.0.0.1:${state.etcdPort}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${state.apiPort}`,
    '--advertise-address=127.0.0.1',
    // The `kubernetes` Endpoints would hold 127.0.0.1, which Endpoints validation rejects.
    '--endpoint-reconciler-type=none',
    `--cert-dir=${paths.pki}`,
    `--tls-cert-file=${pki('apiserver.crt')}`,
    `--tls-private-key-file=${pki('apiserver.key')}`,
    `--client-ca-file=${pki('ca.crt')}`,
    // ServiceAccount tokens (TokenRequest) are signed with sa.key and verified with sa.pub.
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki('sa.pub')}`,
    `--service-account-signing-key-file=${pki('sa.key')}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    '--authorization-mode=RBAC',
    // The ServiceAccount admission plugin makes every Pod (and some other writes) wait for the
    // namespace's `default` ServiceAccount, which only the SA controller of kube-controller-manager
    // creates; there is no controller-manager here, so it is off (as in controller-runtime's envtest).
    // ServiceAccounts themselves and the TokenRequest API work without it.
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
    '--profiling=false',
    '--v=1',
  ];
}

async function startApiserverProcess(state) {
  const t0 = Date.now();
  const d = spawnDaemon(state.binaries['kube-apiserver'], apiserverArgs(state), paths.apiserverLog, paths.apiserverPid);
  await waitUntil('kube-apiserver', 120_000, () => apiserverReady(state), d, paths.apiserverLog);
  log(`kube-apiserver ${KUBE_VERSION} ready on https://127.0.0.1:${state.apiPort} (pid ${d.pid}, ${fmtDuration(Date.now() - t0)})`);
}

// ---------------------------------------------------------------------------------------------
// objects: RBAC, token, CRDs

/** API path of the few built-in kinds the script itself writes. */
function builtinPath(obj) {
  const { kind, metadata } = obj;
  const ns = metadata.namespace;
  switch (kind) {
    case 'Namespace':
      return `/api/v1/namespaces/${metadata.name}`;
    case 'ServiceAccount':
      return `/api/v1/namespaces/${ns}/serviceaccounts/${metadata.name}`;
    case 'ClusterRole':
    case 'ClusterRoleBinding':
      return `/apis/rbac.authorization.k8s.io/v1/${kind.toLowerCase()}s/${metadata.name}`;
    case 'Role':
    case 'RoleBinding':
      return `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/${kind.toLowerCase()}s/${metadata.name}`;
    case 'CustomResourceDefinition':
      return `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${metadata.name}`;
    default:
      throw new TestbedError(`testbed.mjs cannot apply kind ${kind}`);
  }
}

/** Server-side apply (idempotent, force) of one object. */
async function applyObject(obj, state) {
  const q = `?fieldManager=${FIELD_MANAGER}&force=true`;
  return expectOk('PATCH', builtinPath(obj) + q, { body: obj, contentType: 'application/apply-patch+yaml', state });
}

async function applyRbac(state) {
  const docs = yamlLoadAll(fs.readFileSync(RBAC_FILE, 'utf8')).filter((d) => d && typeof d === 'object');
  for (const doc of docs) await applyObject(doc, state);
}

async function writeExdnsKubeconfig(state) {
  const { namespace, name } = EXDNS_SERVICE_ACCOUNT;
  const tr = await expectOk('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: TOKEN_SECONDS } },
    state,
  });
  const token = tr?.status?.token;
  if (typeof token !== 'string' || token === '') throw new TestbedError('TokenRequest returned no token');
  writeKubeconfig(paths.exdnsKubeconfig, state, `system:serviceaccount:${namespace}:${name}`, { token });
  // The RBAC authorizer learns new bindings through its informers: wait until the token can list.
  await waitUntil('exdns ServiceAccount permissions', 20_000, async () => {
    const r = await apiRequest('GET', '/api/v1/services?limit=1', { token, state });
    return r.status === 200;
  });
}

/** CRD manifests shipped in test/testbed/crds, absolute paths, sorted. */
export function crdFiles() {
  return fs.readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).sort().map((f) => path.join(CRD_DIR, f));
}

function readCrd(file) {
  const obj = yamlLoad(fs.readFileSync(file, 'utf8'));
  if (!obj || obj.kind !== 'CustomResourceDefinition' || !obj.metadata?.name) throw new TestbedError(`${file} is not a CustomResourceDefinition`);
  return obj;
}

async function installCrdUnlocked(file, state, timeoutMs = 60_000) {
  const crd = readCrd(file);
  const name = crd.metadata.name;
  const t0 = Date.now();
  await applyObject(crd, state);
  await waitUntil(`CRD ${name} Established`, timeoutMs, async () => {
    const r = await apiRequest('GET', builtinPath(crd), { state });
    const conds = r.status === 200 && Array.isArray(r.body?.status?.conditions) ? r.body.status.conditions : [];
    const isTrue = (type) => conds.some((c) => c.type === type && c.status === 'True');
    return isTrue('Established') && isTrue('NamesAccepted');
  });
  // Established means served; check each served version's collection answers.
  for (const v of crd.spec.versions.filter((x) => x.served)) {
    const p = `/apis/${crd.spec.group}/${v.name}/${crd.spec.names.plural}?limit=1`;
    await waitUntil(`${p} served`, timeoutMs, async () => (await apiRequest('GET', p, { state })).status === 200);
  }
  return { name, ms: Date.now() - t0 };
}

async function deleteCrdUnlocked(name, state, timeoutMs = 60_000) {
  const p = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
  const r = await apiRequest('DELETE', p, { state });
  if (r.status === 404) return;
  if (r.status >= 300) throw new TestbedError(`DELETE ${p}: HTTP ${r.status}`);
  await waitUntil(`CRD ${name} deleted`, timeoutMs, async () => (await apiRequest('GET', p, { state })).status === 404);
}

function selectCrds(crds) {
  const files = crdFiles();
  if (crds === undefined || crds === 'all') return files;
  if (crds === 'none' || crds === '') return [];
  const wanted = Array.isArray(crds) ? crds : String(crds).split(',').map((s) => s.trim()).filter(Boolean);
  return wanted.map((w) => {
    const hit = files.find((f) => w === f || path.basename(f, '.yaml') === w || readCrd(f).metadata.name === w);
    if (!hit) throw new TestbedError(`no CRD "${w}" in ${CRD_DIR}`);
    return hit;
  });
}

function requireState() {
  const state = readState();
  if (!state) throw new TestbedError(`no testbed in ${paths.dir}; run \`npm run testbed -- up\``);
  return state;
}

function info(state) {
  return {
    dir: paths.dir,
    kubeconfig: paths.kubeconfig,
    exdnsKubeconfig: paths.exdnsKubeconfig,
    server: `https://127.0.0.1:${state.apiPort}`,
    etcdUrl: `http://127.0.0.1:${state.etcdPort}`,
    apiPort: state.apiPort,
    etcdPort: state.etcdPort,
  };
}

// ---------------------------------------------------------------------------------------------
// the commands

/**
 * Starts the testbed, or reuses the running one. `crds`: 'all' (default), 'none', or a list of CRD
 * names / file names (see crdFiles()). Resolves to the server URL and kubeconfig paths.
 */
export async function up({ crds = 'all' } = {}) {
  const t0 = Date.now();
  const selected = selectCrds(crds);
  const binaries = await ensureBinaries(['etcd', 'kube-apiserver']);
  return withLock(paths.lock, 'the testbed lock', async () => {
    let state = readState();
    const sameBinaries = state?.binaries?.etcd === binaries.etcd && state?.binaries?.['kube-apiserver'] === binaries['kube-apiserver'];
    let etcdPid = livePid(paths.etcdPid, 'etcd');
    let apiPid = livePid(paths.apiserverPid, 'kube-apiserver');
    if (state && sameBinaries && etcdPid !== null && (await etcdHealthy(state))) {
      log(`reusing etcd (pid ${etcdPid}) on 127.0.0.1:${state.etcdPort}`);
    } else {
      if (apiPid !== null) await stopDaemon(paths.apiserverPid, 'kube-apiserver', 20_000);
      if (etcdPid !== null) await stopDaemon(paths.etcdPid, 'etcd', 10_000);
      apiPid = null;
      cleanRunState();
      fs.mkdirSync(paths.dir, { recursive: true });
      ensurePki();
      state = {
        etcdPort: await freePort(),
        etcdPeerPort: await freePort(),
        apiPort: await freePort(),
        binaries,
        createdAt: new Date().toISOString(),
      };
      while (new Set([state.etcdPort, state.etcdPeerPort, state.apiPort]).size < 3) state.apiPort = await freePort();
      fs.writeFileSync(paths.state, `${JSON.stringify(state, null, 2)}\n`);
      for (const f of [paths.etcdLog, paths.apiserverLog]) fs.rmSync(f, { force: true });
      await startEtcd(state);
    }
    if (apiPid !== null && (await apiserverReady(state))) {
      log(`reusing kube-apiserver (pid ${apiPid}) on https://127.0.0.1:${state.apiPort}`);
    } else {
      if (apiPid !== null) await stopDaemon(paths.apiserverPid, 'kube-apiserver', 20_000);
      await startApiserverProcess(state);
    }
    writeAdminKubeconfig(state);
    await applyRbac(state);
    await writeExdnsKubeconfig(state);
    for (const f of selected) {
      const r = await installCrdUnlocked(f, state);
      log(`CRD ${r.name} Established (${fmtDuration(r.ms)})`);
    }
    log(`up in ${fmtDuration(Date.now() - t0)}: ${info(state).server}; KUBECONFIG=${paths.kubeconfig} (admin), ${paths.exdnsKubeconfig} (exdns)`);
    return info(state);
  });
}

function cleanRunState() {
  for (const p of [paths.etcdData, paths.etcdPid, paths.apiserverPid, paths.state, paths.kubeconfig, paths.exdnsKubeconfig]) {
    fs.rmSync(p, { recursive: true, force: true });
  }
}

/** Stops both processes and deletes the etcd data (the next `up` is a new, empty cluster). */
export async function down({ purge = false } = {}) {
  return withLock(paths.lock, 'the testbed lock', async () => {
    const a = await stopDaemon(paths.apiserverPid, 'kube-apiserver', 20_000);
    const e = await stopDaemon(paths.etcdPid, 'etcd', 10_000);
    cleanRunState();
    if (purge) {
      // The lock directory lives inside; withLock's finally tolerates its absence.
      for (const f of fs.readdirSync(paths.dir)) if (path.join(paths.dir, f) !== paths.lock) fs.rmSync(path.join(paths.dir, f), { recursive: true, force: true });
    }
    log(`down${a || e ? '' : ' (nothing was running)'}; etcd data removed${purge ? ', .testbed purged' : ''}`);
  });
}

/** Stops kube-apiserver only; etcd, ports, certificates and data stay for startApiserver(). */
export async function stopApiserver() {
  return withLock(paths.lock, 'the testbed lock', async () => {
    requireState();
    const stopped = await stopDaemon(paths.apiserverPid, 'kube-apiserver', 20_000);
    if (!stopped) log('kube-apiserver was not running');
  });
}

/** Starts kube-apiserver again on the same port with the same certificates and etcd data. */
export async function startApiserver() {
  return withLock(paths.lock, 'the testbed lock', async () => {
    const state = requireState();
    if (livePid(paths.etcdPid, 'etcd') === null || !(await etcdHealthy(state))) {
      throw new TestbedError('etcd is not running; run `npm run testbed -- up`', paths.etcdLog);
    }
    const pid = livePid(paths.apiserverPid, 'kube-apiserver');
    if (pid !== null && (await apiserverReady(state))) {
      log(`kube-apiserver already running (pid ${pid})`);
      return info(state);
    }
    if (pid !== null) await stopDaemon(paths.apiserverPid, 'kube-apiserver', 20_000);
    await startApiserverProcess(state);
    return info(state);
  });
}

/** Installs one CRD manifest (server-side apply) and waits until it is Established and served. */
export async function installCrd(file, { timeoutMs = 60_000 } = {}) {
  const state = requireState();
  const r = await installCrdUnlocked(path.resolve(file), state, timeoutMs);
  log(`CRD ${r.name} Established (${fmtDuration(r.ms)})`);
  return r.name;
}

/** Deletes a CRD by name (its objects go with it) and waits until it is gone. */
export async function deleteCrd(name, { timeoutMs = 60_000 } = {}) {
  await deleteCrdUnlocked(name, requireState(), timeoutMs);
}

/** What runs: { running, etcd: {pid, healthy}, apiserver: {pid, ready, version}, ...paths }. */
export async function status() {
  const state = readState();
  const etcdPid = livePid(paths.etcdPid, 'etcd');
  const apiPid = livePid(paths.apiserverPid, 'kube-apiserver');
  const etcd = { pid: etcdPid, healthy: state !== null && etcdPid !== null && (await etcdHealthy(state)) };
  const apiserver = { pid: apiPid, ready: state !== null && apiPid !== null && (await apiserverReady(state)), version: null };
  if (apiserver.ready) {
    const v = await apiRequest('GET', '/version', { state }).catch(() => null);
    apiserver.version = v?.body?.gitVersion ?? null;
  }
  return {
    running: etcd.healthy && apiserver.ready,
    ...(state ? info(state) : { dir: paths.dir }),
    etcd,
    apiserver,
    binaries: {
      'kube-apiserver': { path: binaryPath('kube-apiserver'), cached: fs.existsSync(binaryPath('kube-apiserver')) },
      etcd: { path: binaryPath('etcd'), cached: fs.existsSync(binaryPath('etcd')) },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// CLI

const USAGE = `usage: node scripts/testbed.mjs <command>
  up [--crds all|none|NAME,...]   start (or reuse) etcd + kube-apiserver, RBAC, CRDs
  down [--purge]                  stop both, delete etcd data (--purge: all of .testbed/)
  status                          show what runs (exit 1 when not fully up)
  stop-apiserver                  stop kube-apiserver only
  start-apiserver                 start it again, same port, certs and data
  install-crd FILE                install one CRD and wait until Established
  build [kube-apiserver|etcd]     build or find the cached binaries`;

function option(args, name) {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  if (args[i].includes('=')) return args[i].slice(name.length + 1);
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new TestbedError(`${name} needs a value`);
  return v;
}

async function main(argv) {
  const [cmd, ...args] = argv;
  switch (cmd) {
    case 'up': {
      const r = await up({ crds: option(args, '--crds') ?? 'all' });
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return 0;
    }
    case 'down':
      await down({ purge: args.includes('--purge') });
      return 0;
    case 'status': {
      const s = await status();
      process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      return s.running ? 0 : 1;
    }
    case 'stop-apiserver':
      await stopApiserver();
      return 0;
    case 'start-apiserver':
      await startApiserver();
      return 0;
    case 'install-crd':
      if (!args[0]) throw new TestbedError('install-crd needs a file');
      await installCrd(args[0]);
      return 0;
    case 'build': {
      const names = args.length > 0 ? args : ['etcd', 'kube-apiserver'];
      for (const n of names) binaryPath(n); // validates the names
      const t0 = Date.now();
      const bins = await ensureBinaries(names);
      for (const [n, p] of Object.entries(bins)) log(`${n}: ${p}`);
      log(`build done in ${fmtDuration(Date.now() - t0)}`);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stderr.write(`${USAGE}\n`);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command ${cmd}\n${USAGE}\n`);
      return 2;
  }
}

const invoked = process.argv[1] ? fs.realpathSync(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`testbed: error: ${e instanceof TestbedError ? e.message : (e?.stack ?? e)}\n`);
      process.exit(1);
    },
  );
}
