// Building test tools from the Go module proxy (kube-apiserver, etcd, helm), shared by
// scripts/testbed.mjs and scripts/helm.mjs: the Go environment that keeps a build independent of
// the caller's, a version check, steps logged to a build log, and a lock so that two processes
// never build the same binary at once.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export function fmtDuration(ms) {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The last lines of a log file, for error messages. */
export function tail(file, lines = 40) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n').trimEnd();
  } catch {
    return `(no ${file})`;
  }
}

/** An error whose message ends with the tail of the log that explains it. */
export class BuildError extends Error {
  constructor(message, logFile) {
    super(logFile ? `${message}\n--- last lines of ${logFile} ---\n${tail(logFile)}\n---` : message);
    this.name = 'BuildError';
  }
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return e.code === 'EPERM';
  }
  try {
    // A zombie (exited, not yet reaped) counts as dead.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Runs `fn` holding a directory lock (mkdir is atomic) that records the owner's pid; a dead
 * owner's lock is taken over. `what` names the lock in the "waiting" lines given to `log`.
 */
export async function withLock(lockDir, what, fn, log = () => undefined) {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  const started = Date.now();
  let announced = 0;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
      } catch {
        // being created or removed right now
      }
      if (owner === process.pid) throw new BuildError(`internal: nested lock ${lockDir}`);
      if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - announced > 30_000) {
        announced = Date.now();
        log(`waiting for ${what} held by pid ${owner} (${fmtDuration(Date.now() - started)})`);
      }
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * GOTOOLCHAIN=local: never download a toolchain; GOWORK=off: ignore any go.work; -modcacherw: a
 * module cache that `rm -rf` can clean; the caller's GOFLAGS (e.g. -mod=vendor) must not leak in.
 */
export function goEnv(extra = {}) {
  return { ...process.env, GOTOOLCHAIN: 'local', GOWORK: 'off', GOFLAGS: '-modcacherw', CGO_ENABLED: '0', ...extra };
}

/** The `go` command; `purpose` says in the error what it was needed for. */
export function findGo(purpose) {
  for (const g of ['go', '/usr/local/go/bin/go']) {
    if (spawnSync(g, ['version'], { stdio: 'ignore' }).status === 0) return g;
  }
  throw new BuildError(`Go is not on PATH; ${purpose}`);
}

/** The toolchain's version (`go1.26.8`); throws when it is older than `min` ([major, minor]). */
export function checkGoVersion(go, min, what) {
  const r = spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8', env: goEnv() });
  const m = /^go(\d+)\.(\d+)/.exec((r.stdout ?? '').trim());
  if (r.status !== 0 || !m) throw new BuildError(`cannot run \`${go} env GOVERSION\`: ${r.stderr ?? r.error}`);
  const [maj, minor] = [Number(m[1]), Number(m[2])];
  if (maj < min[0] || (maj === min[0] && minor < min[1])) {
    throw new BuildError(`Go ${r.stdout.trim()} is too old for ${what}; need go${min.join('.')} or newer`);
  }
  return r.stdout.trim();
}

/** Runs one build step with its output appended to `logFile`; resolves to stdout when `capture`. */
export function runLogged(cmd, args, { cwd, env = goEnv(), logFile, capture = false }) {
  return new Promise((resolve, reject) => {
    const fd = fs.openSync(logFile, 'a');
    fs.writeSync(fd, `\n$ ${[cmd, ...args].join(' ')}\n`);
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', capture ? 'pipe' : fd, fd] });
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d) => (out += d));
    child.on('error', (e) => {
      fs.closeSync(fd);
      reject(e);
    });
    child.on('close', (code, signal) => {
      fs.closeSync(fd);
      if (code === 0) resolve(out);
      else reject(new BuildError(`${cmd} ${args.slice(0, 3).join(' ')} ... failed (${signal ?? `exit ${code}`})`, logFile));
    });
  });
}
