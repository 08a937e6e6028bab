/**
 * The error texts users see for common Corefile mistakes, through the same path as
 * `exdns validate` and server start (Instance.validate: parse, then every plugin's setup, then
 * the listener checks). Texts follow CoreDNS (coredns.md §1.9).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plugins } from '../../plugins/index.js';
import { PluginRegistry } from '../plugin/registry.js';
import { Instance } from '../server/instance.js';
import type { BuiltConfig } from '../server/config.js';

const registry = new PluginRegistry(plugins);

function validate(contents: string, file = 'Corefile'): BuiltConfig {
  return Instance.validate(contents, file, { registry, defaultPort: 53 });
}

interface ErrorCase {
  name: string;
  corefile: string;
  /** Exact message, or a RegExp it must match. */
  error: string | RegExp;
}

const errorCases: ErrorCase[] = [
  {
    name: 'unknown directive',
    corefile: '. {\n    whoami\n    foward . 8.8.8.8\n}\n',
    error: "Corefile:3 - Error during parsing: Unknown directive 'foward'",
  },
  {
    name: 'unknown directive on the first line of a block',
    corefile: 'example.org {\n    foo\n}\n',
    error: "Corefile:2 - Error during parsing: Unknown directive 'foo'",
  },
  {
    name: 'unknown directive without braces (single block)',
    corefile: 'example.org\nwhoami\nfoward\n',
    error: "Corefile:3 - Error during parsing: Unknown directive 'foward'",
  },
  {
    name: 'duplicate zone and port in two blocks',
    corefile: 'example.org {\n    whoami\n}\nexample.org {\n    whoami\n}\n',
    error: 'cannot serve dns://example.org.:53 - it is already defined (blocks at Corefile:1 and Corefile:4)',
  },
  {
    name: 'duplicate zone and port, explicit port and scheme on one side',
    corefile: 'dns://example.org:53 {\n    whoami\n}\nexample.org {\n    whoami\n}\n',
    error: 'cannot serve dns://example.org.:53 - it is already defined (blocks at Corefile:1 and Corefile:4)',
  },
  {
    name: 'duplicate zone and port, different letter case and trailing dot',
    corefile: 'example.org. {\n    whoami\n}\nEXAMPLE.ORG {\n    whoami\n}\n',
    error: 'cannot serve dns://example.org.:53 - it is already defined (blocks at Corefile:1 and Corefile:4)',
  },
  {
    name: 'duplicate zone on a non-default port',
    corefile: 'example.org:1053 {\n    whoami\n}\nexample.org:1053 {\n    whoami\n}\n',
    error: 'cannot serve dns://example.org.:1053 - it is already defined (blocks at Corefile:1 and Corefile:4)',
  },
  {
    name: 'missing import file',
    corefile: '. {\n    import nothere.conf\n    whoami\n}\n',
    error: /^Corefile:2 - Error during parsing: File to import not found: nothere\.conf$/,
  },
  {
    name: 'ready twice',
    corefile: '. {\n    ready\n    ready\n    whoami\n}\n',
    error: 'plugin/ready: this plugin can only be used once per Server Block (Corefile:2, Corefile:3)',
  },
  {
    name: 'prometheus twice',
    corefile: '. {\n    prometheus\n    prometheus :9154\n    whoami\n}\n',
    error: 'plugin/prometheus: this plugin can only be used once per Server Block (Corefile:2, Corefile:3)',
  },
  {
    name: 'reload twice',
    corefile: '. {\n    reload\n    reload 10s\n    whoami\n}\n',
    error: 'plugin/reload: this plugin can only be used once per Server Block (Corefile:2, Corefile:3)',
  },
  {
    name: 'wrong argument count for whoami',
    corefile: 'example.org {\n    whoami example.org\n}\n',
    error: "plugin/whoami: Corefile:2 - Error during parsing: Wrong argument count or unexpected line ending after 'example.org'",
  },
  {
    name: 'stray closing brace',
    corefile: '. {\n    whoami\n}\n}\n',
    error: "Corefile:4 - Error during parsing: Unexpected '}' because no matching opening brace",
  },
  {
    name: 'missing closing brace',
    corefile: '. {\n    whoami\n',
    error: "Corefile:2 - Syntax error: Unexpected token 'whoami', expecting '}'",
  },
  {
    name: 'unclosed directive block',
    corefile: '. {\n    log {\n',
    error: 'Corefile:2 - Error during parsing: Unexpected EOF',
  },
];

describe('Corefile error texts', () => {
  it.each(errorCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    let message: string | undefined;
    try {
      validate(c.corefile);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message, 'validate should have thrown').toBeDefined();
    if (typeof c.error === 'string') expect(message).toBe(c.error);
    else expect(message).toMatch(c.error);
  });
});

describe('Corefile error texts with imported files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'exdns-corefile-errors-'));
    writeFileSync(path.join(dir, 'good.conf'), 'whoami\n');
    writeFileSync(path.join(dir, 'bad.conf'), '# a comment\n\nfoward . 1.1.1.1\n');
    writeFileSync(path.join(dir, 'twice.conf'), 'ready\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, contents: string): string {
    const f = path.join(dir, name);
    writeFileSync(f, contents);
    return f;
  }

  function errorOf(file: string, contents: string): string {
    try {
      validate(contents, file);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('validate should have thrown');
  }

  it('missing import file names the importing file, its line and the pattern', () => {
    const f = write('Corefile.missing', '. {\n    whoami\n    import missing.conf\n}\n');
    const msg = errorOf(f, '. {\n    whoami\n    import missing.conf\n}\n');
    expect(msg).toContain('File to import not found:');
    expect(msg).toBe(`${f}:3 - Error during parsing: File to import not found: missing.conf`);
  });

  it('missing import file given by absolute path', () => {
    const abs = path.join(dir, 'nope', 'x.conf');
    const f = write('Corefile.abs', `. {\n    import ${abs}\n}\n`);
    expect(errorOf(f, `. {\n    import ${abs}\n}\n`)).toBe(`${f}:2 - Error during parsing: File to import not found: ${abs}`);
  });

  it('unknown directive inside an imported file points at that file and line', () => {
    const f = write('Corefile.bad', '. {\n    whoami\n    import bad.conf\n}\n');
    expect(errorOf(f, '. {\n    whoami\n    import bad.conf\n}\n')).toBe(
      `${path.join(dir, 'bad.conf')}:3 - Error during parsing: Unknown directive 'foward'`,
    );
  });

  it('a once-only plugin repeated through an import', () => {
    const f = write('Corefile.twice', '. {\n    ready\n    import twice.conf\n    whoami\n}\n');
    expect(errorOf(f, '. {\n    ready\n    import twice.conf\n    whoami\n}\n')).toBe(
      `plugin/ready: this plugin can only be used once per Server Block (${f}:2, ${path.join(dir, 'twice.conf')}:1)`,
    );
  });

  it('an existing import (relative to the Corefile, not the cwd) is fine', () => {
    const contents = 'example.org {\n    import good.conf\n}\n';
    const f = write('Corefile.good', contents);
    const cfg = validate(contents, f);
    expect(cfg.blocks[0]!.plugins.map((p) => p.name)).toEqual(['whoami']);
  });
});

describe('Corefiles that are fine', () => {
  it('the same zone on different ports', () => {
    const cfg = validate('example.org {\n    whoami\n}\nexample.org:1053 {\n    whoami\n}\n');
    expect(cfg.blocks).toHaveLength(2);
    expect(cfg.listeners.map((l) => [l.port, [...l.zones.keys()]])).toEqual([
      [53, ['example.org.']],
      [1053, ['example.org.']],
    ]);
  });

  it('two zones in one block', () => {
    const cfg = validate('example.org example.net {\n    whoami\n}\n');
    expect(cfg.blocks).toHaveLength(1);
    expect(cfg.blocks[0]!.info.zones).toEqual(['example.org.', 'example.net.']);
    expect(cfg.listeners).toHaveLength(1);
    expect([...cfg.listeners[0]!.zones.keys()].sort()).toEqual(['example.net.', 'example.org.']);
  });

  it('two zones in one block, comma separated', () => {
    const cfg = validate('example.org, example.net {\n    whoami\n}\n');
    expect(cfg.blocks[0]!.info.zones).toEqual(['example.org.', 'example.net.']);
  });

  it('an empty block parses (no plugins, no chain)', () => {
    const cfg = validate('example.org {\n}\n');
    expect(cfg.blocks).toHaveLength(1);
    expect(cfg.blocks[0]!.plugins).toEqual([]);
    expect(cfg.blocks[0]!.chain).toBeUndefined();
  });

  it('a once-only plugin in each of several blocks', () => {
    const cfg = validate('. {\n    ready\n    whoami\n}\nexample.org {\n    ready\n    whoami\n}\n');
    expect(cfg.blocks).toHaveLength(2);
  });
});
