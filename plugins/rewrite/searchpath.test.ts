/**
 * Search-path rewriting as Gardener and AKS configure it (coredns.md §3), with the rewritten
 * names answered by exdns itself: k8s_gateway serving testdata/cluster.yaml sits behind rewrite,
 * exactly as in a server block. The client always gets the records under the name it asked for.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex } from '../../src/corefile/lexer.js';
import type { Handler, SetupContext } from '../../src/plugin/plugin.js';
import { QType, Rcode, typeToString } from '../../src/wire/constants.js';
import { soa, startGateway, type StartedGateway } from '../../test/k8s-gateway.js';
import { type Case, runCase } from '../../test/kit.js';
import { plugin } from './setup.js';
import { AKS_EXAMPLE, clusterGateway, GARDENER } from './testdata/corefiles.js';

type Row = Case & { id: string };

function table(get: () => { g: StartedGateway; h: Handler }, rows: readonly Row[]): void {
  for (const row of rows) {
    it(`${row.id}: ${row.qname} ${typeToString(row.qtype)}`, async () => {
      const { g, h } = get();
      const serial = String(g.instance.table.currentSerial);
      const fix = (l?: string[]) => (l ?? []).map((s) => s.replace('SERIAL', serial));
      await runCase(h, { ...row, answer: fix(row.answer), ns: fix(row.ns), extra: fix(row.extra) });
    });
  }
}

const SOA_CLUSTER = soa('cluster.local.');
const SOA_COM = soa('example.com.');

async function setup(rules: string): Promise<{ g: StartedGateway; h: Handler }> {
  const g = await startGateway(clusterGateway());
  const h = plugin.setup(new Dispenser(lex(rules, 'Corefile')), {} as SetupContext).handler!(g.handler);
  return { g, h };
}

describe("Gardener's search-path rules", () => {
  let s: { g: StartedGateway; h: Handler };
  beforeAll(async () => {
    s = await setup(GARDENER);
  });
  afterAll(() => s.g.stop());

  const X = 'x.default.svc.cluster.local.svc.cluster.local.';
  table(
    () => s,
    [
      { id: 'G1', qname: X, qtype: QType.A, answer: [`${X} 60 IN A 10.96.0.10`] },
      { id: 'G2 (not rewritten)', qname: 'x.default.svc.cluster.local.', qtype: QType.A, answer: ['x.default.svc.cluster.local. 60 IN A 10.96.0.10'] },
      {
        id: 'G3 CNAME owner and target mapped back',
        qname: 'alias.default.svc.cluster.local.svc.cluster.local.',
        qtype: QType.A,
        answer: ['alias.default.svc.cluster.local.svc.cluster.local. 60 IN CNAME x.default.svc.cluster.local.svc.cluster.local.', `${X} 60 IN A 10.96.0.10`],
      },
      {
        id: 'G4 SRV target mapped back',
        qname: '_http._tcp.x.default.svc.cluster.local.svc.cluster.local.',
        qtype: QType.SRV,
        answer: [`_http._tcp.${X} 60 IN SRV 0 100 80 ${X}`],
      },
      { id: 'G5 NODATA', qname: X, qtype: QType.AAAA, answer: [], ns: [SOA_CLUSTER] },
      { id: 'G6 NXDOMAIN', qname: 'nope.default.svc.cluster.local.svc.cluster.local.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA_CLUSTER] },
      {
        id: 'G7 the namespace search suffix is not rewritten',
        qname: 'x.default.svc.cluster.local.default.svc.cluster.local.',
        qtype: QType.A,
        rcode: Rcode.NXDOMAIN,
        ns: [SOA_CLUSTER],
      },
      {
        id: 'G8 the client letter case is kept',
        qname: 'X.Default.SVC.cluster.local.svc.cluster.local.',
        qtype: QType.A,
        answer: ['X.Default.SVC.cluster.local.svc.cluster.local. 60 IN A 10.96.0.10'],
      },
      // The common suffix example.com.
      { id: 'G9', qname: 'www.example.com.svc.cluster.local.', qtype: QType.A, answer: ['www.example.com.svc.cluster.local. 60 IN A 192.0.2.80'] },
      { id: 'G10 (not rewritten)', qname: 'www.example.com.', qtype: QType.A, answer: ['www.example.com. 60 IN A 192.0.2.80'] },
      {
        id: 'G11 CNAME chain',
        qname: 'shop.example.com.svc.cluster.local.',
        qtype: QType.A,
        answer: ['shop.example.com.svc.cluster.local. 60 IN CNAME www.example.com.svc.cluster.local.', 'www.example.com.svc.cluster.local. 60 IN A 192.0.2.80'],
      },
      {
        id: 'G12 MX exchange mapped back',
        qname: 'mx.example.com.svc.cluster.local.',
        qtype: QType.MX,
        answer: ['mx.example.com.svc.cluster.local. 60 IN MX 10 mail.example.com.svc.cluster.local.'],
      },
      {
        // The value rule matches the SOA MNAME too (CoreDNS rewrites that value as well).
        id: 'G13 NXDOMAIN in example.com',
        qname: 'nope.example.com.svc.cluster.local.',
        qtype: QType.A,
        rcode: Rcode.NXDOMAIN,
        ns: [SOA_COM.replace('SOA dns1.kube-system.example.com.', 'SOA dns1.kube-system.example.com.svc.cluster.local.')],
      },
      { id: 'G14 TCP-sized reply', qname: X, qtype: QType.A, opts: { edns: 4096, do: true }, answer: [`${X} 60 IN A 10.96.0.10`] },
    ],
  );
});

describe("AKS's coredns-custom example (domain example.com)", () => {
  let s: { g: StartedGateway; h: Handler };
  beforeAll(async () => {
    s = await setup(AKS_EXAMPLE);
  });
  afterAll(() => s.g.stop());

  table(
    () => s,
    [
      { id: 'K1', qname: 'x.example.com.', qtype: QType.A, answer: ['x.example.com. 60 IN A 10.96.0.10'] },
      {
        // Only owner names are mapped back: AKS's example has no `answer value`.
        id: 'K2 CNAME target is left as answered',
        qname: 'alias.example.com.',
        qtype: QType.A,
        answer: ['alias.example.com. 60 IN CNAME x.default.svc.cluster.local.', 'x.example.com. 60 IN A 10.96.0.10'],
      },
      { id: 'K3 NXDOMAIN', qname: 'nope.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA_CLUSTER] },
    ],
  );
});
