import { describe, expect, it } from 'vitest';
import { LabelSelectorError, labelKeyErrors, labelValueErrors, matches, parseSelector, selectorString } from './labels.js';

describe('parseSelector / selectorString', () => {
  const ok: Array<[input: string, normal: string]> = [
    ['', ''],
    ['   ', ''],
    ['app=service1', 'app=service1'],
    ['app = service1', 'app=service1'],
    ['  app\t=\nservice1  ', 'app=service1'],
    ['app==service1', 'app==service1'],
    ['app == service1', 'app==service1'],
    ['app!=service2', 'app!=service2'],
    ['app != service2', 'app!=service2'],
    ['app=', 'app='],
    ['app=,tier=x', 'app=,tier=x'],
    ['app in (service1,service2)', 'app in (service1,service2)'],
    ['app in (service2, service1)', 'app in (service1,service2)'],
    ['app in(service1,service1)', 'app in (service1)'],
    ['app notin (a,b)', 'app notin (a,b)'],
    ['app in ()', 'app in ()'],
    ['app in (,a)', 'app in (,a)'],
    ['app in (a,)', 'app in (,a)'],
    ['app', 'app'],
    ['!app', '!app'],
    ['! app', '!app'],
    ['app=service1,tier!=cache', 'app=service1,tier!=cache'],
    ['tier!=cache,app=service1', 'app=service1,tier!=cache'],
    ['app=service1,tier=frontend', 'app=service1,tier=frontend'],
    ['x, !y, z in (1)', 'x,!y,z in (1)'],
    ['example.com/app=a', 'example.com/app=a'],
    ['app.kubernetes.io/name in (web)', 'app.kubernetes.io/name in (web)'],
    ['My_Key.x=Val-1.2_3', 'My_Key.x=Val-1.2_3'],
    // `in` and `notin` are ordinary words in key and value positions
    ['in=notin', 'in=notin'],
    ['a in (in,notin)', 'a in (in,notin)'],
    ['replicas>2', 'replicas>2'],
    ['replicas < 4', 'replicas<4'],
    [`k=${'v'.repeat(63)}`, `k=${'v'.repeat(63)}`],
    [`${'p'.repeat(253)}/${'n'.repeat(63)}`, `${'p'.repeat(253)}/${'n'.repeat(63)}`],
  ];
  it.each(ok)('%j -> %j', (input, normal) => {
    const sel = parseSelector(input);
    expect(selectorString(sel)).toBe(normal);
    // the normal form parses back to itself
    expect(selectorString(parseSelector(normal))).toBe(normal);
  });

  const bad: Array<[input: string, message: string]> = [
    ['!!!invalid', "unable to parse requirement: found '!', expected: identifier"],
    ['=x', "found '=', expected: !, identifier, or 'end of string'"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['a,', "found '', expected: identifier after ','"],
    ['a,,b', "found ',', expected: identifier after ','"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['a=b=c', "found '=', expected: ',' or 'end of string'"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['a=(b)', "unable to parse requirement: found '(', expected: identifier"],
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
    ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a in (b c)', "unable to parse requirement: found 'c', expected: ',' or ')'"],
    ['a in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['a in (b,=)', "unable to parse requirement: found '=', expected: ',', or identifier"],
    ['a>b', "for 'gt', 'lt' operators, the value must be an integer"],
    ['a<', "for 'gt', 'lt' operators, the value must be an integer"],
    ['a>99999999999999999999', "for 'gt', 'lt' operators, the value must be an integer"],
    // a gt/lt value must also be a valid label value, as in Kubernetes
    ['a<-3', 'invalid label value "-3"'],
    ['-app=x', 'invalid label key "-app": name part must consist of alphanumeric'],
    ['app-=x', 'invalid label key "app-": name part must consist of alphanumeric'],
    [`${'k'.repeat(64)}=x`, 'name part must be no more than 63 characters'],
    ['/app=x', 'prefix part must be non-empty'],
    ['Example.com/app=x', 'prefix part must be a lowercase RFC 1123 subdomain'],
    [`${'p'.repeat(254)}/app=x`, 'prefix part must be no more than 253 characters'],
    ['example.com/=x', 'name part must be non-empty'],
    ['a/b/c=x', 'a qualified name must consist of alphanumeric'],
    ['app=-x', 'invalid label value "-x" for key "app": a valid label value must be an empty string'],
    ['app=x_', 'invalid label value "x_"'],
    ['app=a/b', 'invalid label value "a/b"'],
    [`app=${'v'.repeat(64)}`, 'must be no more than 63 characters'],
    ['app in (ok,-bad)', 'invalid label value "-bad"'],
    ['ключ=x', 'invalid label key "ключ"'],
  ];
  it.each(bad)('%j is rejected', (input, message) => {
    let err: unknown;
    try {
      parseSelector(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LabelSelectorError);
    expect((err as Error).message).toContain(message);
  });

  it('keeps requirements on the same key in written order', () => {
    expect(selectorString(parseSelector('b=1,a!=2,a=3'))).toBe('a!=2,a=3,b=1');
  });

  it('exposes the parsed requirements', () => {
    expect(parseSelector('tier notin (b,a), app').requirements).toEqual([
      { key: 'app', operator: 'exists', values: [] },
      { key: 'tier', operator: 'notin', values: ['a', 'b'] },
    ]);
  });
});

describe('label key and value validation', () => {
  it.each([
    ['app', true],
    ['a', true],
    ['app.kubernetes.io/name', true],
    ['k8s-gateway.dns/ignore', true],
    ['_app', false],
    ['', false],
    ['a b', false],
  ])('key %j valid=%s', (key, valid) => {
    expect(labelKeyErrors(key).length === 0).toBe(valid);
  });
  it.each([
    ['', true],
    ['true', true],
    ['a-b_c.d', true],
    ['_a', false],
    ['a.', false],
    ['a b', false],
  ])('value %j valid=%s', (value, valid) => {
    expect(labelValueErrors(value).length === 0).toBe(valid);
  });
});

describe('matches', () => {
  // upstream TestServiceLabelSelector (k8s_gateway.md 3.6): counts 3, 1, 2, 0, 1, 2
  const services: Array<Record<string, string> | undefined> = [
    { app: 'service1', tier: 'frontend' },
    { app: 'service2', tier: 'backend' },
    undefined,
  ];
  it.each([
    ['', 3],
    ['app=service1', 1],
    ['app in (service1,service2)', 2],
    ['app=service4', 0],
    ['app=service1,tier=frontend', 1],
    ['app!=service2', 2],
  ])('upstream vector %j selects %i of 3 services', (sel, count) => {
    const s = parseSelector(sel);
    expect(services.filter((l) => matches(s, l)).length).toBe(count);
  });

  const labels = { app: 'web', tier: 'frontend', replicas: '3', empty: '' };
  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['missing=x', false],
    ['app in (db,web)', true],
    ['app in (db)', false],
    ['missing in (x)', false],
    ['app notin (db)', true],
    ['app notin (web)', false],
    ['missing notin (x)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['empty=', true],
    ['empty', true],
    ['missing=', false],
    ['empty in ()', true],
    ['replicas>2', true],
    ['replicas>3', false],
    ['replicas<4', true],
    ['app>1', false],
    ['missing<4', false],
    ['app=web,tier=frontend', true],
    ['app=web,tier=backend', false],
  ])('%j matches=%s', (sel, want) => {
    expect(matches(parseSelector(sel), labels)).toBe(want);
  });

  it('treats absent labels as an empty set', () => {
    expect(matches(parseSelector(''), undefined)).toBe(true);
    expect(matches(parseSelector('!app'), undefined)).toBe(true);
    expect(matches(parseSelector('app!=x'), undefined)).toBe(true);
    expect(matches(parseSelector('app'), undefined)).toBe(false);
    expect(matches(parseSelector('app=x'), undefined)).toBe(false);
  });

  it('does not match inherited object properties', () => {
    expect(matches(parseSelector('constructor'), {})).toBe(false);
    expect(matches(parseSelector('toString=x'), {})).toBe(false);
  });
});
