/**
 * Runs the real `dig` (bind9-dnsutils) against a test server and parses its presentation
 * output into the parts the end-to-end tests assert on.
 */
import { execFile } from 'node:child_process';

export const DIG = '/usr/bin/dig';

export interface DigOpt {
  version: number;
  flags: string[];
  udp: number;
}

/** One `;; Got answer:` block of dig's output. */
export interface DigMessage {
  opcode: string;
  status: string;
  id: number;
  flags: string[];
  counts: { query: number; answer: number; authority: number; additional: number };
  /** Undefined when the reply had no OPT PSEUDOSECTION. */
  opt: DigOpt | undefined;
  /** Raw question lines as printed (leading ';' kept). */
  question: string[];
  /** Records as whitespace-split fields: [owner, ttl, class, type, ...rdata]. */
  answer: string[][];
  authority: string[][];
  additional: string[][];
  /** `;; SERVER: ... (UDP)` -> 'UDP'. */
  transport: string | undefined;
  /** `;; MSG SIZE  rcvd: N`. */
  size: number | undefined;
}

export interface DigResult {
  stdout: string;
  stderr: string;
  /** dig's exit status (0 ok, 9 no reply, ...). */
  code: number;
  messages: DigMessage[];
}

/** Runs dig @127.0.0.1 -p port with fast-failure options, then `args`. Never rejects on a dig failure. */
export function dig(port: number, ...args: string[]): Promise<DigResult> {
  const argv = ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=2', ...args];
  return new Promise((resolve, reject) => {
    execFile(DIG, argv, { timeout: 15_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(err);
        return;
      }
      const code = err ? (err.code as number) : 0;
      resolve({ stdout, stderr, code, messages: parseDig(stdout) });
    });
  });
}

/** Runs dig and expects exactly one reply. */
export async function dig1(port: number, ...args: string[]): Promise<DigMessage & { out: DigResult }> {
  const r = await dig(port, ...args);
  if (r.code !== 0 || r.messages.length !== 1) {
    throw new Error(`dig ${args.join(' ')}: exit ${r.code}, ${r.messages.length} replies\n${r.stdout}${r.stderr}`);
  }
  return { ...r.messages[0]!, out: r };
}

function fields(line: string): string[] {
  return line.trim().split(/\s+/);
}

/** Splits dig output at each received reply (`;; Got answer:`) and parses each block. */
export function parseDig(out: string): DigMessage[] {
  const blocks = out.split(/^;; Got answer:$/m).slice(1);
  return blocks.map(parseBlock);
}

function parseBlock(block: string): DigMessage {
  const lines = block.split('\n');
  const m: DigMessage = {
    opcode: '',
    status: '',
    id: -1,
    flags: [],
    counts: { query: -1, answer: -1, authority: -1, additional: -1 },
    opt: undefined,
    question: [],
    answer: [],
    authority: [],
    additional: [],
    transport: undefined,
    size: undefined,
  };
  let section: 'question' | 'answer' | 'authority' | 'additional' | undefined;
  for (const line of lines) {
    let x: RegExpExecArray | null;
    if (line.trim() === '') {
      section = undefined;
      continue;
    }
    if ((x = /^;; ->>HEADER<<- opcode: (\S+), status: (\S+), id: (\d+)/.exec(line))) {
      m.opcode = x[1]!;
      m.status = x[2]!;
      m.id = Number(x[3]);
    } else if ((x = /^;; flags:([^;]*); QUERY: (\d+), ANSWER: (\d+), AUTHORITY: (\d+), ADDITIONAL: (\d+)/.exec(line))) {
      m.flags = x[1]!.trim() === '' ? [] : x[1]!.trim().split(/\s+/);
      m.counts = { query: Number(x[2]), answer: Number(x[3]), authority: Number(x[4]), additional: Number(x[5]) };
    } else if ((x = /^; EDNS: version: (\d+), flags:([^;]*); udp: (\d+)/.exec(line))) {
      m.opt = { version: Number(x[1]), flags: x[2]!.trim() === '' ? [] : x[2]!.trim().split(/\s+/), udp: Number(x[3]) };
    } else if (line === ';; QUESTION SECTION:') section = 'question';
    else if (line === ';; ANSWER SECTION:') section = 'answer';
    else if (line === ';; AUTHORITY SECTION:') section = 'authority';
    else if (line === ';; ADDITIONAL SECTION:') section = 'additional';
    else if ((x = /^;; SERVER: .*\((\w+)\)$/.exec(line))) m.transport = x[1];
    else if ((x = /^;; MSG SIZE {2}rcvd: (\d+)/.exec(line))) m.size = Number(x[1]);
    else if (section === 'question') m.question.push(line);
    else if (section !== undefined && !line.startsWith(';')) m[section].push(fields(line));
  }
  return m;
}
