/**
 * The Dockerfile without a Docker engine: its instructions parsed, the build context made the way
 * `docker build` makes it (the repository filtered by .dockerignore), and the stages replayed in a
 * temporary directory, each stage's filesystem under a folder of its own. RUN steps run with
 * `sh -c` in the stage's (mapped) WORKDIR; they must use relative paths only, which the replay
 * checks. The base image's Node.js 24 is stood in for by the Node 24 that runs the tests (the npm
 * `node` devDependency) and the machine's npm; a RUN `--mount=type=cache` is the machine's npm cache.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Instruction {
  /** Upper case: FROM, RUN, COPY, ... */
  readonly op: string;
  /** The rest of the line (continuations joined). */
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly index: number;
  readonly name: string | undefined;
  readonly base: string;
  readonly instructions: Instruction[];
}

/** Instructions and stages of a Dockerfile (comments, parser directives and `\` continuations handled). */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1;
    let l = lines[i]!.trim();
    if (l === '' || l.startsWith('#')) continue;
    while (l.endsWith('\\') && i + 1 < lines.length) {
      l = l.slice(0, -1);
      let next = lines[++i]!;
      while (next.trim().startsWith('#') && i + 1 < lines.length) next = lines[++i]!; // comments inside a continuation
      l += ` ${next.trim()}`;
    }
    const m = /^(\S+)\s*(.*)$/.exec(l)!;
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (op === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`Dockerfile:${first}: cannot read FROM ${args}`);
      stages.push({ index: stages.length, name: f[2]?.toLowerCase(), base: f[1]!, instructions: [] });
      continue;
    }
    if (stages.length === 0) throw new Error(`Dockerfile:${first}: ${op} before FROM`);
    stages.at(-1)!.instructions.push({ op, args, line: first });
  }
  return stages;
}

/** JSON (exec) form `["a", "b"]`, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const v = JSON.parse(args) as unknown;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`not a JSON string array: ${args}`);
  return v;
}

/** Leading `--flag=value` options of RUN/COPY, and the rest. */
function flags(args: string): { flags: Map<string, string>; rest: string } {
  const out = new Map<string, string>();
  let rest = args;
  for (;;) {
    const m = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest);
    if (!m) break;
    out.set(m[1]!, m[2] ?? '');
    rest = rest.slice(m[0].length);
  }
  return { flags: out, rest };
}

// ---------------------------------------------------------------------------------------------
// .dockerignore and the build context

interface IgnoreRule {
  negate: boolean;
  pattern: string;
  re: RegExp;
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else {
        re += '.*';
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split('\n')) {
    let l = raw.trim();
    if (l === '' || l.startsWith('#')) continue;
    const negate = l.startsWith('!');
    if (negate) l = l.slice(1).trim();
    l = path.posix.normalize(l).replace(/^\/+/, '').replace(/\/+$/, '');
    rules.push({ negate, pattern: l, re: globToRegExp(l) });
  }
  return rules;
}

/** Docker's rule: the last pattern that matches the path or one of its parent folders decides. */
export function ignored(rules: readonly IgnoreRule[], rel: string): boolean {
  const parts = rel.split('/');
  let out = false;
  for (const r of rules) {
    let hit = false;
    for (let n = parts.length; n >= 1 && !hit; n--) hit = r.re.test(parts.slice(0, n).join('/'));
    if (hit) out = !r.negate;
  }
  return out;
}

/** Copies the build context of `repo` (its files minus .dockerignore) to `dest`; returns the relative paths. */
export function buildContext(repo: string, dest: string): string[] {
  const ignoreFile = path.join(repo, '.dockerignore');
  const rules = existsSync(ignoreFile) ? parseDockerignore(readFileSync(ignoreFile, 'utf8')) : [];
  const exceptions = rules.filter((r) => r.negate).map((r) => r.pattern.split(/[*?[]/)[0]!);
  // A folder excluded with no exception pattern that could reach inside it is not walked at all.
  const mayReinclude = (rel: string) => exceptions.some((lit) => lit === '' || lit === rel || lit.startsWith(`${rel}/`) || `${rel}/`.startsWith(lit));
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(repo, rel), { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (ignored(rules, r) && !mayReinclude(r)) continue;
        walk(r);
      } else if (e.isFile() && !ignored(rules, r)) {
        mkdirSync(path.join(dest, rel), { recursive: true });
        cpSync(path.join(repo, r), path.join(dest, r));
        out.push(r);
      }
    }
  };
  walk('');
  return out.sort();
}

// ---------------------------------------------------------------------------------------------
// replaying the stages

export interface ImageConfig {
  base: string;
  env: Record<string, string>;
  workdir: string;
  user: string | undefined;
  expose: string[];
  entrypoint: string[] | undefined;
  cmd: string[] | undefined;
  /** Where this stage's filesystem lives on the host. */
  rootfs: string;
}

export interface ReplayOptions {
  /** The build context (see buildContext). */
  context: string;
  /** Stages' filesystems go to `${work}/stage-N`. */
  work: string;
  /** Folder with `node` (24) and `npm` standing in for the base image's /usr/local/bin. */
  baseBin: string;
  /** Receives every step and its output. */
  log: (line: string) => void;
  /** Host environment for RUN steps (HOME, npm configuration...); PATH comes from the image. */
  hostEnv: NodeJS.ProcessEnv;
}

/** The ENV a node:24 image starts with (PATH as in the official image). */
const BASE_ENV: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, a: string | undefined, b: string | undefined) => env[(a ?? b)!] ?? '');
}

/** `ENV A=1 B="x y"` or the legacy `ENV A 1`. */
function parseEnv(args: string, env: Record<string, string>): [string, string][] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const m = /^(\S+)\s+(.*)$/.exec(args);
    if (!m) throw new Error(`cannot read ENV ${args}`);
    return [[m[1]!, expand(m[2]!, env)]];
  }
  const out: [string, string][] = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (const m of args.matchAll(re)) {
    const v = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
    out.push([m[1]!, expand(v, env)]);
  }
  return out;
}

/** The container PATH as a host PATH: folders of the stage's filesystem, /usr/local/bin -> baseBin. */
export function hostPath(containerPath: string, rootfs: string, baseBin: string): string {
  return containerPath
    .split(':')
    .map((p) => (p === '/usr/local/bin' ? baseBin : existsSync(path.join(rootfs, p)) && p !== '/' && !['/usr/bin', '/bin', '/usr/sbin', '/sbin'].includes(p) ? path.join(rootfs, p) : p))
    .join(':');
}

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv, log: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      log(out.trimEnd());
      if (code === 0) resolve();
      else reject(new Error(`RUN ${command}: ${signal ?? `exit ${code}`}\n${out.slice(-4000)}`));
    });
  });
}

/** Replays every stage in order; returns each stage's resulting configuration (the last one is the image). */
export async function replay(stages: readonly Stage[], o: ReplayOptions): Promise<ImageConfig[]> {
  const done: ImageConfig[] = [];
  for (const stage of stages) {
    const rootfs = path.join(o.work, `stage-${stage.index}`);
    mkdirSync(rootfs, { recursive: true });
    const from = stages.find((s) => s.name !== undefined && s.name === stage.base.toLowerCase());
    if (from) throw new Error(`FROM ${stage.base}: building on an earlier stage is not replayed`);
    const cfg: ImageConfig = { base: stage.base, env: { ...BASE_ENV }, workdir: '/', user: undefined, expose: [], entrypoint: undefined, cmd: undefined, rootfs };
    const map = (p: string) => path.join(rootfs, path.posix.resolve(cfg.workdir, p));
    o.log(`# stage ${stage.index} FROM ${stage.base}${stage.name ? ` AS ${stage.name}` : ''} -> ${rootfs}`);
    for (const ins of stage.instructions) {
      const where = `Dockerfile:${ins.line}: ${ins.op} ${ins.args}`;
      o.log(`## ${ins.op} ${ins.args}`);
      const t0 = Date.now();
      switch (ins.op) {
        case 'WORKDIR':
          cfg.workdir = path.posix.resolve(cfg.workdir, expand(ins.args, cfg.env));
          mkdirSync(map('.'), { recursive: true });
          break;
        case 'ENV':
          for (const [k, v] of parseEnv(ins.args, cfg.env)) cfg.env[k] = v;
          break;
        case 'COPY': {
          const { flags: f, rest } = flags(ins.args);
          for (const k of f.keys()) if (k !== 'from') throw new Error(`${where}: COPY --${k} is not replayed`);
          const parts = execForm(rest) ?? rest.split(/\s+/);
          const dest = parts.pop()!;
          let srcRoot = o.context;
          const fromName = f.get('from');
          if (fromName !== undefined) {
            const src = done.find((s, i) => stages[i]!.name === fromName.toLowerCase() || String(i) === fromName);
            if (!src) throw new Error(`${where}: no earlier stage ${fromName}`);
            srcRoot = src.rootfs;
          }
          const intoDir = dest.endsWith('/') || parts.length > 1;
          for (const s of parts) {
            const from = fromName !== undefined ? path.join(srcRoot, path.posix.resolve('/', s)) : path.join(srcRoot, path.posix.normalize(s));
            if (fromName === undefined && path.relative(srcRoot, from).startsWith('..')) throw new Error(`${where}: ${s} is outside the build context`);
            if (!existsSync(from)) throw new Error(`${where}: ${s} not found${fromName === undefined ? ' in the build context (.dockerignore?)' : ` in stage ${fromName}`}`);
            const isDir = statSync(from).isDirectory();
            const target = intoDir && !isDir ? path.join(map(dest), path.basename(s)) : map(dest);
            mkdirSync(isDir ? target : path.dirname(target), { recursive: true });
            cpSync(from, target, { recursive: true, verbatimSymlinks: true });
          }
          break;
        }
        case 'RUN': {
          const { flags: f, rest } = flags(ins.args);
          for (const [k, v] of f) {
            // A cache mount only speeds builds up; the replay uses the machine's caches.
            if (!(k === 'mount' && v.startsWith('type=cache'))) throw new Error(`${where}: RUN --${k}=${v} is not replayed`);
          }
          const exec = execForm(rest);
          const command = exec ? exec.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ') : rest;
          // Absolute paths would name the host's files: RUN steps must stay inside WORKDIR.
          if (/(^|[\s=:;&|'"])\/(?!dev\/null)/.test(command)) throw new Error(`${where}: RUN uses an absolute path, which the replay cannot map; use paths relative to WORKDIR`);
          const env = { ...o.hostEnv, ...cfg.env, PATH: hostPath(cfg.env.PATH ?? '', rootfs, o.baseBin) };
          await sh(command, map('.'), env, o.log);
          o.log(`## (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
          break;
        }
        case 'USER':
          cfg.user = ins.args;
          break;
        case 'EXPOSE':
          cfg.expose.push(...ins.args.split(/\s+/).map((p) => (p.includes('/') ? p : `${p}/tcp`)));
          break;
        case 'ENTRYPOINT':
          cfg.entrypoint = execForm(ins.args) ?? ['/bin/sh', '-c', ins.args];
          break;
        case 'CMD':
          cfg.cmd = execForm(ins.args) ?? ['/bin/sh', '-c', ins.args];
          break;
        case 'LABEL':
        case 'STOPSIGNAL':
        case 'HEALTHCHECK':
          break;
        default:
          throw new Error(`${where}: ${ins.op} is not replayed (extend test/deploy/dockerfile.ts)`);
      }
    }
    done.push(cfg);
  }
  return done;
}

/**
 * A folder standing in for the node:24 image's /usr/local/bin: `node` is `node24` (the Node 24
 * binary), `npm` and `npx` run the machine's npm on it.
 */
export function makeBaseBin(dir: string, node24: string, npmCli: string): string {
  mkdirSync(dir, { recursive: true });
  const script = (name: string, body: string) => {
    writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(dir, name), 0o755);
  };
  symlinkSync(node24, path.join(dir, 'node'));
  script('npm', `exec '${node24}' '${npmCli}' "$@"`);
  script('npx', `exec '${node24}' '${path.join(path.dirname(npmCli), 'npx-cli.js')}' "$@"`);
  return dir;
}

/** The npm CLI script of the machine's npm (npm_execpath under `npm exec`/`npm run`, else `npm` on PATH). */
export function npmCliPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.npm_execpath && /npm-cli\.js$/.test(env.npm_execpath) && existsSync(env.npm_execpath)) return env.npm_execpath;
  for (const dir of (env.PATH ?? '').split(':')) {
    const p = path.join(dir, 'npm');
    if (!existsSync(p)) continue;
    const real = realpathSync(p);
    if (real.endsWith('npm-cli.js')) return real;
  }
  throw new Error('npm not found (the replay runs npm ci)');
}
