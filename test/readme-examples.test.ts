/**
 * Every Corefile example in README.md and the plugin READMEs (blocks fenced with `~~~ corefile`) and the
 * repository's Corefile.example must pass `exdns validate` (parse plus every plugin setup).
 * Environment variables a README tells the reader to `export NAME=VALUE` are set while its
 * examples are validated.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { plugins } from '../plugins/index.js';
import { PluginRegistry } from '../src/plugin/registry.js';
import { Instance } from '../src/server/instance.js';
import { corefileBlocks } from './readme.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Example {
  file: string;
  index: number;
  contents: string;
  env: Record<string, string>;
}


function readmeExamples(): Example[] {
  const out: Example[] = [];
  const add = (file: string) => {
    const md = readFileSync(path.join(root, file), 'utf8');
    const env: Record<string, string> = {};
    for (const m of md.matchAll(/`export ([A-Za-z_][A-Za-z0-9_]*)=([^`\s]*)`/g)) env[m[1]!] = m[2]!;
    corefileBlocks(md).forEach((contents, index) => out.push({ file, index, contents, env }));
  };
  add('README.md');
  const dir = path.join(root, 'plugins');
  for (const name of readdirSync(dir).sort()) {
    if (existsSync(path.join(dir, name, 'README.md'))) add(`plugins/${name}/README.md`);
  }
  return out;
}

const examples = readmeExamples();
const registry = new PluginRegistry(plugins);

function validate(contents: string, file: string) {
  return Instance.validate(contents, file, { registry, defaultPort: 53 });
}

describe('README Corefile examples validate', () => {
  const saved = new Map<string, string | undefined>();
  afterEach(() => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    saved.clear();
  });

  it('finds examples in every plugin README that has them', () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
    expect(new Set(examples.map((e) => e.file)).size).toBeGreaterThanOrEqual(5);
  });

  it.each(examples.map((e) => [`${e.file} #${e.index + 1}`, e] as const))('%s', (_label, e) => {
    for (const [k, v] of Object.entries(e.env)) {
      saved.set(k, process.env[k]);
      process.env[k] = v;
    }
    const cfg = validate(e.contents, 'README');
    expect(cfg.blocks.length).toBeGreaterThan(0);
  });

  it('Corefile.example', () => {
    const file = path.join(root, 'Corefile.example');
    const cfg = validate(readFileSync(file, 'utf8'), file);
    // the (common) snippet is not a server block
    expect(cfg.blocks.length).toBe(2);
  });
});

describe('corefileBlocks', () => {
  it('extracts only ~~~ corefile fences', () => {
    const md = '~~~ txt\nnot\n~~~\n\n~~~ corefile\n. {\n    whoami\n}\n~~~\n~~~corefile\nx\n~~~\n';
    expect(corefileBlocks(md)).toEqual(['. {\n    whoami\n}\n', 'x\n']);
  });
});
