#!/usr/bin/env node
// Helm v3 for the chart in charts/exdns, built from the Go module proxy and cached, like the
// testbed's kube-apiserver and etcd (scripts/testbed.mjs). No Helm install, no Docker.
//
// Usage (from the repository root; `npm run helm -- <args>` is the same as `node scripts/helm.mjs <args>`):
//
//   build            build (or find the cached) helm binary and print its path
//   path             print the cached binary's path (exit 1 when it is not built yet)
//   ARGS...          anything else runs `helm ARGS...` with the cached binary (built first when missing),
//                    e.g. `npm run helm -- lint charts/exdns`, `npm run helm -- template dns charts/exdns --set domain=example.com`
//
// The binary: `go install helm.sh/helm/v3/cmd/helm@HELM_VERSION` (helm.sh/helm/v3's go.mod has no replace
// directives, so no wrapper module is needed), with GOTOOLCHAIN=local GOWORK=off GOFLAGS=-modcacherw
// CGO_ENABLED=0 and the version ldflags of helm's Makefile. It is cached per version beside the testbed's
// binaries, at ${XDG_CACHE_HOME:-$HOME/.cache}/exdns/testbed/helm-<version>/helm (build log in build.log
// beside it); a cached binary is only checked with `helm version` (~0.2 s). Measured on 2 cores: cold
// (modules downloaded, nothing compiled) 3m16s, peak RSS ~800 MiB; again with Go's build cache warm 5 s.
// HELM_BIN=/path/to/helm uses another Helm 3 instead.
//
// Exported for tests: HELM_VERSION, helmPath, ensureHelm, helm (run synchronously, returns stdout).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BuildError, checkGoVersion, findGo, fmtDuration, goEnv, runLogged, withLock as withSharedLock } from './go-build.mjs';
import { CACHE_DIR } from './testbed.mjs';

export const HELM_VERSION = 'v3.21.4';
/** The minor of k8s.io/client-go that helm.sh/helm/v3@HELM_VERSION requires (its Makefile stamps it in). */
const HELM_K8S_MINOR = '36';
/** helm.sh/helm/v3 v3.21's go.mod says go 1.26.0. */
const MIN_GO = [1, 26];

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function log(msg) {
  process.stderr.write(`helm.mjs: ${msg}\n`);
}

function withLock(lockDir, what, fn) {
  return withSharedLock(lockDir, what, fn, log);
}

class HelmBuildError extends BuildError {
  constructor(message, logFile) {
    super(message, logFile);
    this.name = 'HelmBuildError';
  }
}

/** The cached helm binary (HELM_BIN overrides it). */
export function helmPath() {
  if (process.env.HELM_BIN) return path.resolve(process.env.HELM_BIN);
  return path.join(CACHE_DIR, `helm-${HELM_VERSION}`, 'helm');
}

const verified = new Set();

/** True when `bin` runs and says it is HELM_VERSION. */
function helmOk(bin) {
  if (verified.has(bin)) return true;
  if (!fs.existsSync(bin)) return false;
  const r = spawnSync(bin, ['version', '--template', '{{.Version}}'], { encoding: 'utf8', timeout: 30_000 });
  const ok = r.status === 0 && (process.env.HELM_BIN ? /^v3\./.test(r.stdout.trim()) : r.stdout.trim() === HELM_VERSION);
  if (ok) verified.add(bin);
  return ok;
}

async function buildHelm() {
  const bin = helmPath();
  const home = path.dirname(bin);
  const logFile = path.join(home, 'build.log');
  return withLock(path.join(CACHE_DIR, `.lock-helm-${HELM_VERSION}`), 'the helm build lock', async () => {
    if (helmOk(bin)) return bin; // built meanwhile by another process
    const go = findGo('helm is built with `go install` from the Go module proxy (Go >= 1.26)');
    const goVersion = checkGoVersion(go, MIN_GO, `helm ${HELM_VERSION}`);
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(logFile, `helm ${HELM_VERSION} built with ${goVersion} at ${new Date().toISOString()}\n`);
    const gobin = fs.mkdtempSync(path.join(home, 'gobin.tmp-'));
    const v = 'helm.sh/helm/v3/internal/version';
    const ldflags = [
      '-s', '-w',
      `-X ${v}.version=${HELM_VERSION}`, `-X ${v}.gitTreeState=clean`,
      // The Kubernetes version `helm lint`/`template` assume without a cluster (.Capabilities.KubeVersion).
      `-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1`, `-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${HELM_K8S_MINOR}`,
      `-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1`, `-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${HELM_K8S_MINOR}`,
    ].join(' ');
    const t0 = Date.now();
    log(`building helm ${HELM_VERSION} with ${goVersion} (cold on 2 cores: ~3-4 min; log ${logFile})`);
    const heartbeat = setInterval(() => log(`building helm: still working (${fmtDuration(Date.now() - t0)})`), 60_000);
    try {
      // /usr/bin/time -v (Debian package `time`) reports the peak RSS.
      const timed = fs.existsSync('/usr/bin/time');
      const args = ['install', '-trimpath', `-ldflags=${ldflags}`, `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`];
      await runLogged(timed ? '/usr/bin/time' : go, timed ? ['-v', go, ...args] : args, { cwd: home, env: goEnv({ GOBIN: gobin }), logFile });
      const built = path.join(gobin, 'helm');
      if (!helmOk(built)) throw new HelmBuildError(`the built ${built} does not report ${HELM_VERSION}`, logFile);
      fs.renameSync(built, bin);
      verified.add(bin);
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(fs.readFileSync(logFile, 'utf8'));
      log(`built helm ${HELM_VERSION} in ${fmtDuration(Date.now() - t0)}${rss ? ` (peak RSS ${Math.round(Number(rss[1]) / 1024)} MiB)` : ''} -> ${bin}`);
      return bin;
    } finally {
      clearInterval(heartbeat);
      fs.rmSync(gobin, { recursive: true, force: true });
    }
  });
}

/** The cached helm binary, built when missing. */
export async function ensureHelm() {
  const bin = helmPath();
  if (helmOk(bin)) return bin;
  if (process.env.HELM_BIN) throw new HelmBuildError(`HELM_BIN=${process.env.HELM_BIN} is not a working helm v3`);
  return buildHelm();
}

/**
 * Runs the (already built) helm with `args`; returns stdout, throws with stderr on failure.
 * Helm's own state (repositories, cache, plugins) goes to a folder of its own, never $HOME's.
 */
export function helm(args, { cwd = ROOT, input } = {}) {
  const r = spawnSync(helmPath(), args, { cwd, encoding: 'utf8', env: helmEnv(), input, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    const err = new Error(`helm ${args.join(' ')}: exit ${r.status}\n${r.stderr}${r.stdout}`);
    err.stdout = r.stdout;
    err.stderr = r.stderr;
    throw err;
  }
  return r.stdout;
}

function helmEnv() {
  const state = path.join(CACHE_DIR, `helm-${HELM_VERSION}`, 'home');
  return {
    ...process.env,
    HELM_CACHE_HOME: process.env.HELM_CACHE_HOME ?? path.join(state, 'cache'),
    HELM_CONFIG_HOME: process.env.HELM_CONFIG_HOME ?? path.join(state, 'config'),
    HELM_DATA_HOME: process.env.HELM_DATA_HOME ?? path.join(state, 'data'),
  };
}

async function main(argv) {
  const [cmd] = argv;
  if (cmd === 'path') {
    const bin = helmPath();
    process.stdout.write(`${bin}\n`);
    return helmOk(bin) ? 0 : 1;
  }
  const t0 = Date.now();
  const bin = await ensureHelm();
  if (cmd === 'build' || cmd === undefined) {
    log(`helm ${HELM_VERSION}: ${bin} (${fmtDuration(Date.now() - t0)})`);
    process.stdout.write(`${bin}\n`);
    return 0;
  }
  const r = spawnSync(bin, argv, { stdio: 'inherit', env: helmEnv() });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

const invoked = process.argv[1] ? fs.realpathSync(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`helm.mjs: error: ${e?.message ?? e}\n`);
      process.exit(1);
    },
  );
}
