/**
 * `edns0 local|nsid|subnet set|replace|append|unset ...`: edits the EDNS0 options of the query
 * passed down the chain (an OPT is added when the query has none).
 *
 *     set      replace the option when present, add it otherwise
 *     replace  only replace an option that is present
 *     append   add the option, even when one with the same code is present
 *     unset    remove every option with that code
 *
 * A rule that changes nothing (replace or unset without the option, a variable without a value)
 * does not count as applied, so a `stop` rule then does not stop the rules after it.
 */
import type { Request } from '../../src/plugin/request.js';
import { ipv4Bytes, ipv6Bytes } from '../../src/wire/ip.js';
import type { EdnsOption } from './options.js';
import type { Effect, Mode, OptionEdit, Question, Rule } from './rule.js';

export const EDNS0_ACTIONS = ['set', 'replace', 'append', 'unset'] as const;
export type Edns0Action = (typeof EDNS0_ACTIONS)[number];

interface Base {
  readonly field: 'edns0';
  readonly mode: Mode;
  readonly action: Edns0Action;
  /** `revert`: accepted; the reply never carries the query's options anyway (see README). */
  readonly revert: boolean;
}

export type Edns0RuleConfig =
  | (Base & { readonly option: 'local'; readonly code: number; readonly data: string })
  | (Base & { readonly option: 'nsid' })
  | (Base & { readonly option: 'subnet'; readonly v4: number; readonly v6: number });

const NSID = 3;
const SUBNET = 8;

/** `{name}` variables of EDNS0 local rules (CoreDNS's edns0 variables). */
const VARIABLES = ['{qname}', '{qtype}', '{client_ip}', '{client_port}', '{protocol}', '{server_ip}', '{server_port}'];

function isVariable(data: string): boolean {
  return data.startsWith('{') && data.endsWith('}');
}

/** A metadata label such as `{kubernetes/client-namespace}`: a slash with text on both sides. */
function isMetadataLabel(v: string): boolean {
  const p = v.indexOf('/');
  return p > 1 && p < v.length - 2;
}

/** Go's strconv.ParseUint(s, 0, 16): decimal, 0x hex, 0o or leading-0 octal, 0b binary. */
function parseCode(s: string): number | undefined {
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) v = parseInt(s.slice(2), 16);
  else if (/^0[oO][0-7]+$/.test(s)) v = parseInt(s.slice(2), 8);
  else if (/^0[bB][01]+$/.test(s)) v = parseInt(s.slice(2), 2);
  else if (/^0[0-7]*$/.test(s)) v = parseInt(s, 8);
  else if (/^[1-9][0-9]*$/.test(s)) v = Number(s);
  else return undefined;
  return v <= 0xffff ? v : undefined;
}

function parseBits(s: string, max: number, family: string): number {
  if (!/^\d+$/.test(s)) throw new Error(`invalid ${family} bit mask length "${s}"`);
  const v = Number(s);
  if (v > max) throw new Error(`invalid ${family} bit mask length ${v}`);
  return v;
}

/** Parses the arguments after `edns0` (CoreDNS's newEdns0Rule). */
export function parseEdns0Rule(mode: Mode, argv: readonly string[]): Edns0RuleConfig {
  if (argv.length < 2) throw new Error('too few arguments for an EDNS0 rule');
  const option = argv[0]!.toLowerCase();
  const action = argv[1]!.toLowerCase() as Edns0Action;
  if (!EDNS0_ACTIONS.includes(action)) throw new Error(`invalid action: "${argv[1]}"`);
  let args = argv;
  let revert = false;
  if (action !== 'unset' && args[args.length - 1] === 'revert') {
    revert = true;
    args = args.slice(0, -1);
  }
  const base = { field: 'edns0', mode, action, revert } as const;
  switch (option) {
    case 'local': {
      if (action === 'unset') {
        if (args.length !== 3) throw new Error('local unset action requires exactly two arguments');
      } else if (args.length !== 4) throw new Error('EDNS0 local rules require three arguments');
      const code = parseCode(args[2]!);
      if (code === undefined) throw new Error(`invalid EDNS0 local option code "${args[2]}"`);
      const data = args[3] ?? '';
      checkLocalData(data);
      return { ...base, option, code, data };
    }
    case 'nsid':
      if (args.length !== 2) {
        throw new Error(action === 'unset' ? 'nsid unset action requires exactly one argument' : 'EDNS0 NSID rules do not accept args');
      }
      return { ...base, option };
    case 'subnet': {
      if (action === 'unset') {
        if (args.length !== 2) throw new Error('subnet unset action requires exactly one argument');
        return { ...base, option, v4: 0, v6: 0 };
      }
      if (args.length !== 4) throw new Error('EDNS0 subnet rules require three arguments');
      return { ...base, option, v4: parseBits(args[2]!, 32, 'IPv4'), v6: parseBits(args[3]!, 128, 'IPv6') };
    }
    default:
      throw new Error(`invalid rule type "${argv[0]}"`);
  }
}

function checkLocalData(data: string): void {
  if (isVariable(data)) {
    if (!VARIABLES.includes(data) && !isMetadataLabel(data)) throw new Error(`unsupported variable name "${data}"`);
  } else if (data.startsWith('0x') && !/^(?:[0-9a-fA-F]{2})*$/.test(data.slice(2))) {
    throw new Error(`invalid hex data "${data}" for an EDNS0 local rule`);
  }
}

/** An address as 4 (IPv4, also IPv4-mapped IPv6) or 16 bytes. */
function ipBytes(ip: string): Buffer | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return ipv4Bytes(mapped ? mapped[1]! : ip) ?? ipv6Bytes(ip);
}

function u16(v: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(v, 0);
  return b;
}

/** Option data for this query; undefined when there is none (the rule then does not apply). */
type DataSource = (q: Question, req: Request) => Buffer | undefined;

function localData(data: string): DataSource {
  switch (data) {
    case '{qname}':
      return (q, req) => Buffer.from(q.name === req.name ? req.qname : q.name, 'latin1');
    case '{qtype}':
      return (q) => u16(q.qtype);
    case '{client_ip}':
      return (_q, req) => ipBytes(req.ip);
    case '{client_port}':
      return (_q, req) => u16(req.port);
    case '{protocol}':
      return (_q, req) => Buffer.from(req.proto, 'latin1');
    case '{server_ip}':
      return (_q, req) => ipBytes(req.client.localAddress);
    case '{server_port}':
      return (_q, req) => u16(req.client.localPort);
  }
  if (isVariable(data)) {
    const label = data.slice(1, -1);
    return (_q, req) => {
      const v = req.metadata(label);
      return v === undefined || v === '' ? undefined : Buffer.from(v, 'utf8');
    };
  }
  const fixed = data.startsWith('0x') ? Buffer.from(data.slice(2), 'hex') : Buffer.from(data, 'utf8');
  return () => fixed;
}

/** RFC 7871 client subnet of the client's address, cut to the configured prefix length. */
function subnetData(v4: number, v6: number): DataSource {
  return (_q, req) => {
    const addr = ipBytes(req.ip);
    if (addr === undefined) return undefined;
    const bits = addr.length === 4 ? v4 : v6;
    const len = Math.ceil(bits / 8);
    const out = Buffer.alloc(4 + len);
    out.writeUInt16BE(addr.length === 4 ? 1 : 2, 0);
    out[2] = bits;
    out[3] = 0;
    addr.copy(out, 4, 0, len);
    // Bits past the prefix length must be zero (RFC 7871 §6).
    if (bits % 8 !== 0) out[3 + len] = out[3 + len]! & (0xff << (8 - (bits % 8)));
    return out;
  };
}

class OptionRule implements OptionEdit {
  constructor(
    private readonly action: Edns0Action,
    private readonly code: number,
    private readonly data: DataSource,
  ) {}

  apply(options: EdnsOption[], q: Question, req: Request): boolean {
    if (this.action === 'unset') {
      const before = options.length;
      for (let i = options.length - 1; i >= 0; i--) if (options[i]!.code === this.code) options.splice(i, 1);
      return options.length !== before;
    }
    const data = this.data(q, req);
    if (data === undefined) return false;
    if (this.action !== 'append') {
      const present = options.find((o) => o.code === this.code);
      if (present !== undefined) {
        present.data = data;
        return true;
      }
      if (this.action === 'replace') return false;
    }
    options.push({ code: this.code, data });
    return true;
  }
}

export class Edns0Rule implements Rule {
  readonly mode: Mode;
  private readonly effect: Effect;

  constructor(cfg: Edns0RuleConfig) {
    this.mode = cfg.mode;
    let edit: OptionEdit;
    switch (cfg.option) {
      case 'local':
        edit = new OptionRule(cfg.action, cfg.code, localData(cfg.data));
        break;
      case 'nsid': {
        const empty = Buffer.alloc(0);
        edit = new OptionRule(cfg.action, NSID, () => empty);
        break;
      }
      case 'subnet':
        edit = new OptionRule(cfg.action, SUBNET, subnetData(cfg.v4, cfg.v6));
        break;
    }
    this.effect = { edns: edit };
  }

  /** Applies to every query; whether it changed anything is known once the options are at hand. */
  rewrite(): Effect {
    return this.effect;
  }
}
