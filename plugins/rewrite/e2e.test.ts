/**
 * End to end: a real exdns server in-process with Gardener's search-path rules in front of
 * k8s_gateway (serving testdata/cluster.yaml), queried with the real `dig`. dig checks that the
 * reply's question is the one it sent (";; Question section mismatch" otherwise) and prints the
 * names the client really sees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogSink } from '../../src/log.js';
import { dig1 } from '../../test/e2e/dig.js';
import { startServer, type RunningServer } from '../../test/server.js';
import { clusterGateway, GARDENER } from './testdata/corefiles.js';

const COREFILE = `.:PORT {
${GARDENER}
${clusterGateway()}
}
`;

let srv: RunningServer;
let restoreSink: ((line: string) => void) | undefined;
const logged: string[] = [];

beforeAll(async () => {
  restoreSink = setLogSink((l) => logged.push(l));
  srv = await startServer(COREFILE);
});

afterAll(async () => {
  await srv?.stop();
  if (restoreSink) setLogSink(restoreSink);
});

const X = 'x.default.svc.cluster.local.svc.cluster.local.';

interface Row {
  id: string;
  args: string[];
  status?: string;
  /** The question dig prints, without its leading ';'. */
  question: string;
  answer: string[];
}

const rows: Row[] = [
  { id: 'service name through the search path', args: [X, 'A'], question: `${X} IN A`, answer: [`${X} 60 IN A 10.96.0.10`] },
  { id: 'over TCP', args: ['+tcp', X, 'A'], question: `${X} IN A`, answer: [`${X} 60 IN A 10.96.0.10`] },
  { id: 'without EDNS', args: ['+noedns', X, 'A'], question: `${X} IN A`, answer: [`${X} 60 IN A 10.96.0.10`] },
  {
    id: 'mixed case',
    args: ['X.Default.Svc.Cluster.Local.svc.cluster.local', 'A'],
    question: 'X.Default.Svc.Cluster.Local.svc.cluster.local. IN A',
    answer: ['X.Default.Svc.Cluster.Local.svc.cluster.local. 60 IN A 10.96.0.10'],
  },
  {
    id: 'CNAME chain',
    args: ['alias.default.svc.cluster.local.svc.cluster.local', 'A'],
    question: 'alias.default.svc.cluster.local.svc.cluster.local. IN A',
    answer: [`alias.default.svc.cluster.local.svc.cluster.local. 60 IN CNAME ${X}`, `${X} 60 IN A 10.96.0.10`],
  },
  {
    id: 'SRV',
    args: [`_http._tcp.${X}`, 'SRV'],
    question: `_http._tcp.${X} IN SRV`,
    answer: [`_http._tcp.${X} 60 IN SRV 0 100 80 ${X}`],
  },
  {
    id: 'common suffix example.com',
    args: ['www.example.com.svc.cluster.local', 'A'],
    question: 'www.example.com.svc.cluster.local. IN A',
    answer: ['www.example.com.svc.cluster.local. 60 IN A 192.0.2.80'],
  },
  {
    id: 'common suffix, MX',
    args: ['mx.example.com.svc.cluster.local', 'MX'],
    question: 'mx.example.com.svc.cluster.local. IN MX',
    answer: ['mx.example.com.svc.cluster.local. 60 IN MX 10 mail.example.com.svc.cluster.local.'],
  },
  {
    id: 'NXDOMAIN',
    args: ['nope.default.svc.cluster.local.svc.cluster.local', 'A'],
    status: 'NXDOMAIN',
    question: 'nope.default.svc.cluster.local.svc.cluster.local. IN A',
    answer: [],
  },
  { id: 'names rewrite does not touch', args: ['www.example.com', 'A'], question: 'www.example.com. IN A', answer: ['www.example.com. 60 IN A 192.0.2.80'] },
];

describe('rewrite end to end with dig', () => {
  it.each(rows)('$id', async ({ args, status, question, answer }) => {
    const m = await dig1(srv.port, ...args);
    expect(m.out.stdout + m.out.stderr).not.toMatch(/mismatch/i);
    expect(m.status).toBe(status ?? 'NOERROR');
    expect(m.flags).toContain('aa');
    expect(m.question.map((l) => l.replace(/^;/, '').split(/\s+/).join(' '))).toEqual([question]);
    expect(m.answer.map((f) => f.join(' '))).toEqual(answer);
  });

  it('logged no error', () => {
    expect(logged.filter((l) => l.startsWith('[ERROR]'))).toEqual([]);
  });
});
