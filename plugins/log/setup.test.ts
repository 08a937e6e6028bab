import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex as lexCorefile } from '../../src/corefile/lexer.js';
import type { Token } from '../../src/corefile/types.js';
import type { SetupContext } from '../../src/plugin/plugin.js';
import { parse, plugin, type ClassFilter, type Rule } from './setup.js';
import { COMBINED_LOG_FORMAT, COMMON_LOG_FORMAT, DEFAULT_LOG_FORMAT } from './replacer.js';

const lex = (src: string): Token[] => lexCorefile(src, 'Corefile');

function rule(nameScope: string, format = DEFAULT_LOG_FORMAT, ...classes: ClassFilter[]): Rule {
  return { nameScope, format, classes: new Set(classes.length ? classes : ['all']) };
}

describe('log setup', () => {
  const tests: Array<{ input: string; want?: Rule[]; err?: string }> = [
    { input: 'log', want: [rule('.')] },
    { input: 'log example.org', want: [rule('example.org.')] },
    { input: 'log Example.ORG.', want: [rule('example.org.')] },
    { input: 'log example.org. {common}', want: [rule('example.org.', COMMON_LOG_FORMAT)] },
    { input: 'log example.org {combined}', want: [rule('example.org.', COMBINED_LOG_FORMAT)] },
    // A single argument is always a name (CoreDNS quirk).
    { input: 'log {combined}', want: [rule('{combined}.')] },
    { input: 'log example.org.\nlog example.net {combined}', want: [rule('example.org.'), rule('example.net.', COMBINED_LOG_FORMAT)] },
    { input: 'log example.org {host}\nlog example.org {when}', want: [rule('example.org.', '{host}'), rule('example.org.', '{when}')] },
    { input: 'log example.org example.net', want: [rule('example.org.'), rule('example.net.')] },
    { input: 'log example.org example.net {host}', want: [rule('example.org.', '{host}'), rule('example.net.', '{host}')] },
    { input: 'log . "{proto} Request: {name} {type} {>id}"', want: [rule('.', '{proto} Request: {name} {type} {>id}')] },
    {
      input: 'log example.org example.net {when} {\n  class denial\n}',
      want: [rule('example.org.', '{when}', 'denial'), rule('example.net.', '{when}', 'denial')],
    },
    { input: 'log example.org {\n  class all\n}', want: [rule('example.org.', COMMON_LOG_FORMAT, 'all')] },
    { input: 'log example.org {\n  class denial\n}', want: [rule('example.org.', COMMON_LOG_FORMAT, 'denial')] },
    { input: 'log {\n  class denial\n}', want: [rule('.', COMMON_LOG_FORMAT, 'denial')] },
    { input: 'log {\n  class denial error\n}', want: [rule('.', COMMON_LOG_FORMAT, 'denial', 'error')] },
    { input: 'log {\n  class denial\n  class error\n}', want: [rule('.', COMMON_LOG_FORMAT, 'denial', 'error')] },
    { input: 'log . {combined} {\n  class denial error\n}', want: [rule('.', COMBINED_LOG_FORMAT, 'denial', 'error')] },
    { input: 'log {\n  class success all\n}', want: [rule('.', COMMON_LOG_FORMAT, 'success', 'all')] },
    { input: 'log {\n}', want: [rule('.')] },
    { input: 'log {\n  class abracadabra\n}', err: 'Corefile:2 - Error during parsing: invalid Class: abracadabra' },
    { input: 'log {\n  class\n}', err: "Corefile:2 - Error during parsing: Wrong argument count or unexpected line ending after 'class'" },
    { input: 'log {\n  unknown\n}', err: "Corefile:2 - Error during parsing: Wrong argument count or unexpected line ending after 'unknown'" },
  ];
  it.each(tests)('$input', ({ input, want, err }) => {
    const c = new Dispenser(lex(input));
    if (err === undefined) expect(parse(c)).toEqual({ rules: want });
    else expect(() => parse(c)).toThrow(err);
  });

  it('builds a handler', () => {
    const inst = plugin.setup(new Dispenser(lex('log example.org {\n class error\n}')), {} as SetupContext);
    expect(plugin.once).toBeUndefined();
    expect(inst.handler!(undefined).name).toBe('log');
  });
});
