/**
 * The Dockerfile, with no Docker engine: the build context is made from the repository and
 * .dockerignore, both stages are replayed in a temporary directory (test/deploy/dockerfile.ts:
 * `npm ci` + `npm run build` in the build stage; `npm ci --omit=dev`, dist/ and the `exdns` bin in
 * the runtime stage), and the result is started the way the image starts it: ENTRYPOINT + CMD,
 * with the runtime stage's ENV, its PATH, and Node 24 as the only `node`. It must run with
 * production dependencies only, serve the Helm chart's Corefile and answer dig.
 * Needs the npm registry (or a warm npm cache) for the two `npm ci` runs. EXDNS_REPLAY_LOG=FILE
 * keeps the replay's log.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../e2e/dig.js';
import { root, sleep } from '../exdns-process.js';
import { ensureHelm, render, valueSets, writeConfig } from '../deploy/chart.js';
import { buildContext, hostPath, ignored, makeBaseBin, npmCliPath, parseDockerfile, parseDockerignore, replay, type ImageConfig, type Stage } from '../deploy/dockerfile.js';
import { freePorts, portValues } from '../deploy/release.js';

const work = mkdtempSync(path.join(tmpdir(), 'exdns-dockerfile-'));
const stages: Stage[] = parseDockerfile(readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
const log: string[] = [];
let image: ImageConfig;
let context: string[];
let baseBin: string;

/** The Node 24 the image's base stands for: the npm `node` devDependency (which runs these tests). */
function node24(): string {
  if (/^v24\./.test(process.version)) return process.execPath;
  const p = path.join(root, 'node_modules', 'node', 'bin', 'node');
  const v = spawnSync(p, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (!v.startsWith('v24.')) throw new Error(`no Node 24 found (${process.execPath} is ${process.version}, ${p} is ${v || 'missing'})`);
  return p;
}

beforeAll(async () => {
  const ctx = path.join(work, 'context');
  context = buildContext(root, ctx);
  baseBin = makeBaseBin(path.join(work, 'usr-local-bin'), node24(), npmCliPath());
  const env = { ...process.env };
  // The replay's npm must not see the test runner's npm environment (npm exec sets npm_* variables).
  for (const k of Object.keys(env)) if (k.startsWith('npm_') || k === 'NODE_OPTIONS' || k === 'INIT_CWD') delete env[k];
  const configs = await replay(stages, { context: ctx, work, baseBin, hostEnv: env, log: (l) => log.push(l) });
  image = configs.at(-1)!;
}, 20 * 60_000);

afterAll(() => {
  // EXDNS_REPLAY_LOG=FILE keeps the replay's output (every step and what it printed).
  if (process.env.EXDNS_REPLAY_LOG) writeFileSync(process.env.EXDNS_REPLAY_LOG, `${log.join('\n')}\n`);
  rmSync(work, { recursive: true, force: true });
});

describe('Dockerfile', () => {
  it('is multi-stage, on Node.js 24 (node:24-slim or distroless nodejs24)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s.base).toMatch(/^(docker\.io\/(library\/)?)?node:24-slim(@sha256:[0-9a-f]{64})?$|^gcr\.io\/distroless\/nodejs24/);
    expect(stages[0]!.name).toBe('build');
    expect(stages.at(-1)!.instructions.some((i) => i.op === 'COPY' && i.args.startsWith('--from=build '))).toBe(true);
  });

  it('the build context holds the sources and nothing local (.dockerignore)', () => {
    expect(context).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/cli.ts']));
    expect(context.some((f) => f.startsWith('plugins/k8s_gateway/'))).toBe(true);
    for (const f of context) expect(f).not.toMatch(/^(node_modules|dist|\.testbed|\.git|charts|test)\/|\.test\.ts$/);
    const rules = parseDockerignore(readFileSync(path.join(root, '.dockerignore'), 'utf8'));
    expect(ignored(rules, 'node_modules/x/index.js')).toBe(true);
    expect(ignored(rules, 'src/cli.ts')).toBe(false);
    expect(ignored(rules, 'src/cli.test.ts')).toBe(true);
  });

  it('the runtime stage: non-root, ports, ENTRYPOINT exdns -conf /etc/exdns/Corefile', () => {
    expect(image.user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    expect([...image.expose].sort()).toEqual(['1053/tcp', '1053/udp', '8080/tcp', '8181/tcp', '9153/tcp']);
    expect(image.entrypoint).toEqual(['exdns']);
    expect(image.cmd).toEqual(['-conf', '/etc/exdns/Corefile']);
    expect(image.env.NODE_ENV).toBe('production');
  });

  it('the runtime stage holds production dependencies only, and no sources', () => {
    const app = path.join(image.rootfs, image.workdir);
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const d of Object.keys(pkg.dependencies)) expect(existsSync(path.join(app, 'node_modules', d)), d).toBe(true);
    // What package-lock.json marks dev-only is absent (@types/node stays: @kubernetes/client-node depends on it).
    const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; optional?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([k, v]) => k !== '' && v.dev === true);
    expect(devOnly.length).toBeGreaterThan(0);
    for (const [k] of devOnly) expect(existsSync(path.join(app, k)), k).toBe(false);
    for (const d of ['typescript', 'vitest', 'node']) expect(existsSync(path.join(app, 'node_modules', d)), d).toBe(false);
    expect(existsSync(path.join(app, 'dist', 'src', 'cli.js'))).toBe(true);
    expect(readdirSync(app).sort()).toEqual(['bin', 'dist', 'node_modules', 'package-lock.json', 'package.json']);
  });

  describe('the image runs', () => {
    let child: ChildProcess;
    let out = '';
    let ports: Awaited<ReturnType<typeof freePorts>>;

    /** ENTRYPOINT resolved through the image's PATH, as the container runtime does. */
    function entrypoint(): string {
      const [cmd] = image.entrypoint!;
      for (const dir of hostPath(image.env.PATH!, image.rootfs, baseBin).split(':')) {
        const p = path.join(dir, cmd!);
        if (existsSync(p)) return p;
      }
      throw new Error(`${cmd} is not on the image's PATH ${image.env.PATH}`);
    }
    /** Image environment: its ENV (PATH mapped), nothing of the test runner's. */
    const imageEnv = () => ({ ...image.env, PATH: hostPath(image.env.PATH!, image.rootfs, baseBin), HOME: path.join(image.rootfs, 'home', 'node') });
    /** A container path on the image's filesystem. */
    const inImage = (p: string) => path.join(image.rootfs, p);

    beforeAll(async () => {
      await ensureHelm();
      ports = await freePorts();
      // The chart's Corefile, as its ConfigMap is mounted at /etc/exdns, serving manifests instead of a cluster.
      const r = render({ release: 'exdns', namespace: 'dns', valuesFiles: [valueSets().get('single')!], values: portValues(ports) });
      const etc = inImage('/etc/exdns');
      mkdirSync(path.join(etc, 'objects'), { recursive: true });
      writeFileSync(
        path.join(etc, 'objects', 'web.yaml'),
        `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: default}
spec: {rules: [{host: web.apps.example.com}]}
status: {loadBalancer: {ingress: [{ip: 192.0.2.10}]}}
`,
      );
      writeConfig(r, etc, r.corefile.replace(/(k8s_gateway [^\n]*\{)/, `$1\n        manifests ${path.join(etc, 'objects')}`));
      const args = image.cmd!.map((a) => (a.startsWith('/etc/exdns/') ? inImage(a) : a));
      child = spawn(entrypoint(), args, { cwd: inImage(image.workdir), env: imageEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
      const deadline = Date.now() + 30_000;
      for (;;) {
        const s = await fetch(`http://127.0.0.1:${ports.ready}/ready`).then((x) => x.status, () => 0);
        if (s === 200) break;
        if (child.exitCode !== null) throw new Error(`exdns exited (${child.exitCode})\n${out}\n--- replay log\n${log.join('\n').slice(-4000)}`);
        if (Date.now() > deadline) throw new Error(`exdns not ready after 30 s\n${out}`);
        await sleep(100);
      }
    }, 120_000);

    afterAll(async () => {
      if (child && child.exitCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
    });

    it('`exdns -version` reports this version on Node 24', () => {
      const v = spawnSync(entrypoint(), ['-version'], { cwd: inImage(image.workdir), env: imageEnv(), encoding: 'utf8' });
      const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
      expect(v.stdout).toContain(`exdns-${pkg.version}`);
      expect(v.stdout).toMatch(/node v24\./);
    });

    it('answers DNS on UDP and TCP, and /health', async () => {
      for (const tcp of [[], ['+tcp']]) {
        const r = await dig(ports.dns, ...tcp, '+norecurse', 'web.apps.example.com', 'A');
        expect(r.messages[0]?.status, r.stdout).toBe('NOERROR');
        expect(r.messages[0]?.answer.map((a) => `${a[3]} ${a[4]}`)).toEqual(['A 192.0.2.10']);
      }
      expect((await fetch(`http://127.0.0.1:${ports.health}/health`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text()).toContain('coredns_dns_requests_total');
    });

    it('runs the bin through its shebang, with the image Node and flags', () => {
      const pid = child.pid!;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(realpathSync(`/proc/${pid}/exe`)).toBe(realpathSync(node24()));
      expect(cmdline.some((a) => a.startsWith('--max-semi-space-size='))).toBe(true);
      expect(cmdline.some((a) => a.endsWith('/bin/exdns'))).toBe(true);
    });

    it('stops on SIGTERM', async () => {
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c))));
      expect(code).toBe(0);
    }, 20_000);
  });
});
