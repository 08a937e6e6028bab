/** EDNS0 rules through the handler: the options the next plugin receives, and the reply the client gets. */
import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex } from '../../src/corefile/lexer.js';
import type { SetupContext } from '../../src/plugin/plugin.js';
import type { Client } from '../../src/plugin/request.js';
import { QType } from '../../src/wire/constants.js';
import { makeRequest, Recorder, type QueryOptions } from '../../test/kit.js';
import { queryOptions } from './options.js';
import { plugin } from './setup.js';
import { Stub } from './testdata/stub.js';

const ANSWER = { answer: ['a.example.org. 60 IN A 192.0.2.1'] };
const NEXT = { 'a.example.org. A': ANSWER, 'b.example.org. A': { answer: ['b.example.org. 60 IN A 192.0.2.2'] } };

interface Row {
  id: string;
  rules: string;
  qname?: string;
  /** EDNS0 options of the query, as "code=hex". */
  query?: string[];
  opts?: QueryOptions;
  client?: Partial<Client>;
  metadata?: Record<string, string>;
  /** Name the next plugin gets (default a.example.org.). */
  sees?: string;
  /** Options the next plugin gets, as "code=hex"; undefined: it gets no OPT. */
  options: string[] | undefined;
}

const hex = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

/** A query with EDNS0 options: the kit's query with its OPT's RDATA replaced. */
function withOptions(qname: string, options: string[], o: QueryOptions): ReturnType<typeof makeRequest> {
  const base = makeRequest(qname, QType.A, { edns: 1232, ...o });
  const rdata = Buffer.concat(
    options.map((s) => {
      const [code, data] = s.split('=') as [string, string];
      const d = Buffer.from(data, 'hex');
      const head = Buffer.alloc(4);
      head.writeUInt16BE(Number(code), 0);
      head.writeUInt16BE(d.length, 2);
      return Buffer.concat([head, d]);
    }),
  );
  const raw = Buffer.from(base.query.raw);
  raw.writeUInt16BE(rdata.length, raw.length - 2);
  return base.withWire(Buffer.concat([raw, rdata]));
}

const rows: Row[] = [
  { id: 'local set adds an OPT to a query without one', rules: 'rewrite edns0 local set 0xffee 0xabcd', options: ['65518=abcd'] },
  { id: 'local set with text data', rules: 'rewrite edns0 local set 0xffee abcd', query: [], options: [`65518=${hex('abcd')}`] },
  { id: 'local set replaces', rules: 'rewrite edns0 local set 0xffee 0x01', query: ['65518=ff', '10=00'], options: ['65518=01', '10=00'] },
  { id: 'local append adds another', rules: 'rewrite edns0 local append 0xffee 0x01', query: ['65518=ff'], options: ['65518=ff', '65518=01'] },
  { id: 'local replace replaces', rules: 'rewrite edns0 local replace 0xffee 0x01', query: ['65518=ff'], options: ['65518=01'] },
  {
    id: 'local replace without the option does not apply, so the stop rule does not stop',
    rules: 'rewrite edns0 local replace 0xffee 0x01\nrewrite name a.example.org b.example.org',
    query: ['10=00'],
    sees: 'b.example.org.',
    options: ['10=00'],
  },
  { id: 'local unset removes every such option', rules: 'rewrite edns0 local unset 0xffee', query: ['65518=ff', '10=00', '65518=aa'], options: ['10=00'] },
  {
    id: 'local unset without the option does not apply',
    rules: 'rewrite edns0 local unset 0xffee\nrewrite name a.example.org b.example.org',
    sees: 'b.example.org.',
    options: undefined,
  },
  // Variables.
  { id: '{qname}', rules: 'rewrite edns0 local set 0xffee {qname}', qname: 'A.Example.org.', sees: 'a.example.org.', options: [`65518=${hex('A.Example.org.')}`] },
  {
    id: '{qname} is the name as rewritten by earlier rules',
    rules: 'rewrite continue name a.example.org b.example.org\nrewrite edns0 local set 0xffee {qname}',
    sees: 'b.example.org.',
    options: [`65518=${hex('b.example.org.')}`],
  },
  { id: '{qtype}', rules: 'rewrite edns0 local set 0xffee {qtype}', options: ['65518=0001'] },
  { id: '{client_ip}', rules: 'rewrite edns0 local set 0xffee {client_ip}', options: ['65518=0af00001'] },
  {
    id: '{client_ip} IPv6',
    rules: 'rewrite edns0 local set 0xffee {client_ip}',
    client: { remoteAddress: '2001:db8::53', family: 2 },
    options: ['65518=20010db8000000000000000000000053'],
  },
  { id: '{client_port}', rules: 'rewrite edns0 local set 0xffee {client_port}', options: ['65518=9d14'] },
  { id: '{protocol}', rules: 'rewrite edns0 local set 0xffee {protocol}', client: { proto: 'tcp' }, options: [`65518=${hex('tcp')}`] },
  { id: '{server_ip}', rules: 'rewrite edns0 local set 0xffee {server_ip}', options: ['65518=7f000001'] },
  { id: '{server_port}', rules: 'rewrite edns0 local set 0xffee {server_port}', options: ['65518=0035'] },
  { id: 'metadata label', rules: 'rewrite edns0 local set 0xffee {test/label}', metadata: { 'test/label': 'blue' }, options: [`65518=${hex('blue')}`] },
  {
    id: 'metadata label without a value does not apply',
    rules: 'rewrite edns0 local set 0xffee {test/label}\nrewrite name a.example.org b.example.org',
    sees: 'b.example.org.',
    options: undefined,
  },
  // NSID and client subnet.
  { id: 'nsid set asks for the NSID', rules: 'rewrite edns0 nsid set', options: ['3='] },
  { id: 'nsid set empties a present one', rules: 'rewrite edns0 nsid set', query: ['3=abcd'], options: ['3='] },
  { id: 'nsid replace without it', rules: 'rewrite continue edns0 nsid replace', query: [], options: [] },
  { id: 'nsid unset', rules: 'rewrite edns0 nsid unset', query: ['3=', '10=00'], options: ['10=00'] },
  { id: 'subnet set from an IPv4 client, /24', rules: 'rewrite edns0 subnet set 24 56', options: ['8=00011800' + '0af000'] },
  { id: 'subnet set, /20 masks inside the byte', rules: 'rewrite edns0 subnet set 20 56', client: { remoteAddress: '10.240.31.1' }, options: ['8=00011400' + '0af010'] },
  {
    id: 'subnet set from an IPv6 client, /56',
    rules: 'rewrite edns0 subnet set 24 56',
    client: { remoteAddress: '2001:db8:1234:5678::1', family: 2 },
    options: ['8=00023800' + '20010db8123456'],
  },
  {
    id: 'subnet set from an IPv4-mapped IPv6 client is IPv4',
    rules: 'rewrite edns0 subnet set 24 56',
    client: { remoteAddress: '::ffff:192.0.2.77', family: 2 },
    options: ['8=00011800' + 'c00002'],
  },
  { id: 'subnet set replaces a present one', rules: 'rewrite edns0 subnet set 32 128', query: ['8=0001100c0a00'], options: ['8=00012000' + '0af00001'] },
  { id: 'subnet set 0 bits sends no address', rules: 'rewrite edns0 subnet set 0 0', options: ['8=00010000'] },
  { id: 'subnet unset', rules: 'rewrite edns0 subnet unset', query: ['8=0001100c0a00'], options: [] },
  // Combined with a question rewrite.
  {
    id: 'continue edns0, then name',
    rules: 'rewrite continue edns0 local set 0xffee 0x01\nrewrite name a.example.org b.example.org',
    query: ['10=00'],
    sees: 'b.example.org.',
    options: ['10=00', '65518=01'],
  },
];

describe('rewrite edns0', () => {
  it.each(rows)('$id', async (row) => {
    const stub = new Stub(NEXT);
    const h = plugin.setup(new Dispenser(lex(row.rules, 'Corefile')), {} as SetupContext).handler!(stub);
    const qname = row.qname ?? 'a.example.org.';
    const o = { ...row.opts, client: row.client };
    const req = row.query === undefined ? makeRequest(qname, QType.A, o) : withOptions(qname, row.query, o);
    for (const [k, v] of Object.entries(row.metadata ?? {})) req.setMetadata(k, v);
    const rec = new Recorder(req);
    await h.serveDNS(req, rec);

    const down = stub.seen[0]!;
    expect(down.name).toBe(row.sees ?? 'a.example.org.');
    if (row.options === undefined) expect(down.query.edns).toBeUndefined();
    else expect(queryOptions(down.query).map((x) => `${x.code}=${x.data.toString('hex')}`)).toEqual(row.options);
    // The rest of the query is the client's.
    expect(down.id).toBe(req.id);
    expect(down.query.flags).toBe(req.query.flags);
    expect(down.metadata('test/label')).toBe(row.metadata?.['test/label']);
    // The reply is the client's: its question, and an OPT only when it sent one (never the options).
    const m = rec.msg();
    expect(m.header.rcode).toBe(0);
    expect(m.answers).toHaveLength(1);
    expect(rec.wire!.subarray(12, req.query.questionEnd)).toEqual(req.query.raw.subarray(12, req.query.questionEnd));
    const opt = m.additionals.filter((r) => r.type === QType.OPT);
    expect(opt.length).toBe(req.query.edns === undefined ? 0 : 1);
    for (const r of opt) expect(r.rdata).toEqual([]);
  });

  it('an added OPT advertises 4096 bytes, as CoreDNS adds it', async () => {
    const stub = new Stub(NEXT);
    const h = plugin.setup(new Dispenser(lex('rewrite edns0 nsid set', 'Corefile')), {} as SetupContext).handler!(stub);
    const req = makeRequest('a.example.org.', QType.A);
    await h.serveDNS(req, new Recorder(req));
    expect(stub.seen[0]!.query.edns).toMatchObject({ udpSize: 4096, version: 0, do: false });
  });

  it('keeps the OPT header of the query (size, DO)', async () => {
    const stub = new Stub(NEXT);
    const h = plugin.setup(new Dispenser(lex('rewrite edns0 nsid set', 'Corefile')), {} as SetupContext).handler!(stub);
    const req = makeRequest('a.example.org.', QType.A, { edns: 1400, do: true });
    await h.serveDNS(req, new Recorder(req));
    expect(stub.seen[0]!.query.edns).toMatchObject({ udpSize: 1400, do: true });
  });
});
