/**
 * The README's quick start is a promise: the demo Corefile served as `npm start` serves it, and
 * each `$ dig ...` shown there prints what the README says (message ID and SOA serial aside).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server.js';
import { DIG } from './dig.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Example {
  command: string;
  args: string[];
  pipe: string | undefined;
  expected: string[];
}

/** The `$ dig` commands of the README's quick start and the lines printed under each. */
function quickStartExamples(): Example[] {
  const md = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = md.slice(md.indexOf('## Quick start'), md.indexOf('\n## ', md.indexOf('## Quick start') + 1));
  const block = /```console\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const out: Example[] = [];
  for (const chunk of block.split(/\n(?=\$ )/)) {
    const [cmd, ...lines] = chunk.trim().split('\n');
    if (cmd === undefined || !cmd.startsWith('$ dig ')) continue;
    const [digPart, pipe] = cmd.slice(2).split(' | ');
    const args = digPart!.split(/\s+/).slice(1).filter((a) => !a.startsWith('@') && a !== '-p' && a !== '1053');
    out.push({ command: cmd, args, pipe: pipe === undefined ? undefined : /'(.*)'/.exec(pipe)?.[1], expected: lines.filter((l) => l !== '') });
  }
  return out;
}

/** dig output with the volatile parts (message ID, SOA serial) masked and spacing normalised. */
function normalise(lines: readonly string[]): string[] {
  return lines.map((l) =>
    l
      .replace(/id: \d+/, 'id: ID')
      .replace(/(\sSOA\s+\S+\s+\S+\s+)\d+/, '$1SERIAL')
      .split(/\s+/)
      .join(' '),
  );
}

function runDig(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(DIG, ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=2', ...args], { timeout: 15_000 }, (err, stdout) => {
      if (err && typeof err.code !== 'number') reject(err);
      else resolve(stdout);
    });
  });
}

describe('README quick start', () => {
  let srv: RunningServer;
  const examples = quickStartExamples();

  beforeAll(async () => {
    // The demo as npm start runs it, on free ports so tests never collide with a running demo.
    const corefile = readFileSync(path.join(root, 'examples', 'demo', 'Corefile'), 'utf8')
      .replaceAll(':1053', ':PORT')
      .replace(/(health|ready|prometheus) :\d+/g, '$1 127.0.0.1:0');
    srv = await startServer(corefile);
  });
  afterAll(() => srv.stop());

  it('shows dig examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  for (const ex of examples) {
    it(ex.command, async () => {
      let lines = (await runDig(srv.port, ex.args)).split('\n').filter((l) => l.trim() !== '');
      if (ex.pipe !== undefined) {
        const re = new RegExp(ex.pipe);
        lines = lines.filter((l) => re.test(l));
      }
      expect(normalise(lines)).toEqual(normalise(ex.expected));
    });
  }
});
