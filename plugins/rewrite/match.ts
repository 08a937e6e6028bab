/**
 * How rules pick query names: `exact` (the default), `prefix`, `suffix`, `substring` or `regex`,
 * always against the lowercased FQDN. Except for regex, the text given is normalised like
 * CoreDNS's plugin.Name().Normalize(): lowercased and given a trailing dot, so `prefix foo`
 * means "starts with `foo.`" and `suffix .com` means "ends with `.com.`".
 */
import { normalizeName } from '../../src/wire/name.js';
import { compileGoRegExp, GoRegExpError, type GoRegExp } from '../../src/corefile/go-regexp.js';

export const MATCH_TYPES = ['exact', 'prefix', 'suffix', 'substring', 'regex'] as const;
export type MatchType = (typeof MATCH_TYPES)[number];

export function isMatchType(s: string): s is MatchType {
  return (MATCH_TYPES as readonly string[]).includes(s);
}

/** A name selector as configured: `value` is normalised, or the regex as written. */
export interface NameMatch {
  readonly match: MatchType;
  readonly value: string;
}

export function nameMatch(match: MatchType, value: string): NameMatch {
  return { match, value: match === 'regex' ? value : normalizeName(value) };
}

/** Compiles a Go regex; the message says which pattern and what is wrong with it. */
export function compilePattern(pattern: string, what: string): GoRegExp {
  try {
    return compileGoRegExp(pattern);
  } catch (e) {
    if (e instanceof GoRegExpError) throw new Error(`${what}: ${pattern}: ${e.message}`);
    throw e;
  }
}

/** The test a NameMatch stands for, on lowercased FQDNs. */
export function nameTest(m: NameMatch, what: string): (name: string) => boolean {
  const v = m.value;
  switch (m.match) {
    case 'exact':
      return (name) => name === v;
    case 'prefix':
      return (name) => name.startsWith(v);
    case 'suffix':
      return (name) => name.endsWith(v);
    case 'substring':
      return (name) => name.includes(v);
    case 'regex': {
      const re = compilePattern(v, what);
      return (name) => re.test(name);
    }
  }
}
