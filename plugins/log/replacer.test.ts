import { describe, expect, it } from 'vitest';
import { makeRequest } from '../../test/kit.js';
import { QType, Flag } from '../../src/wire/constants.js';
import { compileFormat, flagsText, parseFormat, secondsText, type LogEntry } from './replacer.js';

describe('parseFormat', () => {
  // Functions are shown as "<fn>" so literal boundaries are visible.
  const show = (f: string) => parseFormat(f).map((p) => (typeof p === 'string' ? p : '<fn>'));
  const tests: Array<[string, string[]]> = [
    ['', []],
    ['plain', ['plain']],
    ['{type}', ['<fn>']],
    ['A {type} B', ['A ', '<fn>', ' B']],
    ['{type}{name}', ['<fn>', '<fn>']],
    ['A } {type}', ['A } ', '<fn>']],
    ['{ {type} }', ['{ ', '<fn>', ' }']],
    ['{when} {type}', ['{when} ', '<fn>']],
    ['{>rd} x', ['{>rd} x']],
    ['{/log/class}', ['<fn>']],
    ['{{name}}', ['{', '<fn>', '}']],
    ['{type', ['{type']],
  ];
  it.each(tests)('%j', (format, parts) => {
    expect(show(format)).toEqual(parts);
  });
});

describe('format values', () => {
  const req = makeRequest('WWW.Example.ORG.', QType.MX, { id: 777, edns: 1400, do: true, client: { remoteAddress: 'fe80::1', remotePort: 53000, localAddress: '::1' } });
  req.setMetadata('test/key', 'value');
  const entry: LogEntry = { req, rcode: 3, rsize: 99, rflags: Flag.QR | Flag.AA | Flag.RD };
  const tests: Array<[string, string]> = [
    ['{type} {class} {name} {proto}', 'MX IN www.example.org. udp'],
    ['{remote}:{port} {local}', '[fe80::1]:53000 [::1]'],
    ['{size} {>bufsize} {>do} {>id} {>opcode}', `${req.len} 1400 true 777 0`],
    ['{rcode} {rsize} {>rflags}', 'NXDOMAIN 99 qr,aa,rd'],
    ['{/test/key} {/missing}', 'value -'],
    ['{when} {>rd}', '{when} {>rd}'],
  ];
  it.each(tests)('%s', (format, want) => {
    expect(compileFormat(format)(entry)).toBe(want);
  });

  it('prints unknown rcodes as numbers and a missing reply as "-" flags', () => {
    expect(compileFormat('{rcode} {>rflags} {rsize}')({ req, rcode: 3841, rsize: 0, rflags: undefined })).toBe('3841 - 0');
  });
});

describe('flagsText', () => {
  it.each([
    [0, ''],
    [Flag.QR, 'qr'],
    [0xffff, 'qr,aa,tc,rd,ra,z,ad,cd'],
    [Flag.QR | Flag.RD | Flag.RA | Flag.AD, 'qr,rd,ra,ad'],
  ])('%i -> %s', (flags, text) => expect(flagsText(flags)).toBe(text));
});

describe('secondsText', () => {
  it.each([
    [0, '0s'],
    [37.990251, '0.037990251s'],
    [0.000123, '0.000000123s'],
    [1500, '1.5s'],
    [2000, '2s'],
  ])('%d ms -> %s', (ms, text) => expect(secondsText(ms)).toBe(text));
});
