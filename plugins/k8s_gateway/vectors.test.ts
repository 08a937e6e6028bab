/**
 * Upstream k8s_gateway's DNS test vectors (k8s_gateway.md section 3), fed with real object
 * manifests through the manifests source and answered by the real handler. Two vectors differ
 * on purpose (the RFC fixes): P5 (SOA at an existing non-apex name is NODATA) and P7
 * (a name with no records at all is NXDOMAIN for every type).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { QType, Rcode } from '../../src/wire/constants.js';
import { type Case, nextHandler, runCase } from '../../test/kit.js';
import { fixture, startGateway, type StartedGateway } from '../../test/k8s-gateway.js';

const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.';
const lorem = Buffer.from(LOREM);
const TXT_L = `${JSON.stringify(lorem.subarray(0, 255).toString())} ${JSON.stringify(lorem.subarray(255).toString())}`;

/** SOA(Z) as emitted; the serial is not compared (it moves with every change). */
function soa(zone: string): string {
  return `${zone} 60 IN SOA dns1.kube-system.${zone} hostmaster.dns1.kube-system.${zone} SERIAL 7200 1800 86400 60`;
}

type Row = Case & { id: string };

/** Runs rows with SERIAL in SOA strings replaced by the instance's current serial. */
function table(get: () => StartedGateway, rows: Row[]): void {
  for (const row of rows) {
    it(`${row.id}: ${row.qname} ${row.qtype}`, async () => {
      const g = get();
      const serial = String(g.instance.table.currentSerial);
      const fix = (l?: string[]) => l?.map((s) => s.replace('SERIAL', serial));
      await runCase(g.handler, { ...row, answer: fix(row.answer), ns: fix(row.ns), extra: fix(row.extra) });
    });
  }
}

const F1_DIRECTIVE = (extra = '') => `k8s_gateway example.com {
  manifests ${fixture('f1.yaml')}
  resources HTTPRoute TLSRoute GRPCRoute Ingress Service DNSEndpoint Node
  ${extra}
}`;

describe('F1: TestPlugin (gateway_test.go)', () => {
  let g: StartedGateway;
  beforeAll(async () => {
    g = await startGateway(F1_DIRECTIVE());
  });
  afterAll(() => g.stop());
  const Z = 'example.com.';
  table(
    () => g,
    [
      { id: 'P0', qname: 'svc1.ns1.example.com.', qtype: QType.A, answer: ['svc1.ns1.example.com. 60 IN A 192.0.1.1'], ns: [] },
      { id: 'P1', qname: 'domain.example.com.', qtype: QType.A, answer: ['domain.example.com. 60 IN A 192.0.0.1'] },
      { id: 'P2', qname: 'svc2.ns1.example.com.', qtype: QType.A, answer: ['svc2.ns1.example.com. 60 IN A 192.0.0.2'] },
      { id: 'P3', qname: 'svcX.ns1.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa(Z)] },
      { id: 'P4', qname: 'd0main.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa(Z)] },
      // Deliberate difference: upstream answers the zone SOA in the answer section.
      { id: 'P5', qname: 'domain.example.com.', qtype: QType.SOA, answer: [], ns: [soa(Z)] },
      { id: 'P6', qname: 'svc3.ns1.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa(Z)] },
      // Deliberate difference: upstream answers NODATA; svc3 has no records, so the name does not exist.
      { id: 'P7', qname: 'svc3.ns1.example.com.', qtype: QType.CNAME, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa(Z)] },
      { id: 'P8', qname: 'example.com.', qtype: QType.A, answer: ['example.com. 60 IN A 192.0.0.3'] },
      { id: 'P9', qname: 'dOmAiN.eXamPLe.cOm.', qtype: QType.A, answer: ['domain.example.com. 60 IN A 192.0.0.1'] },
      { id: 'P10', qname: 'svC1.Ns1.exAmplE.Com.', qtype: QType.A, answer: ['svc1.ns1.example.com. 60 IN A 192.0.1.1'] },
      { id: 'P11', qname: 'svc2.ns1.example.com.', qtype: QType.AAAA, answer: [], ns: [soa(Z)] },
      { id: 'P12', qname: 'svc4.ns1.example.com.', qtype: QType.AAAA, answer: ['svc4.ns1.example.com. 60 IN AAAA fd12:3456:789a:2::'] },
      { id: 'P13', qname: 'svc4.ns1.example.com.', qtype: QType.A, answer: [], ns: [soa(Z)] },
      { id: 'P14', qname: 'svc1.ns1.example.com.', qtype: QType.AAAA, answer: ['svc1.ns1.example.com. 60 IN AAAA fd12:3456:789a:1::'] },
      {
        id: 'P15',
        qname: 'example.com.',
        qtype: QType.NS,
        answer: ['example.com. 60 IN NS dns1.kube-system.example.com.'],
        extra: ['dns1.kube-system.example.com. 60 IN A 192.0.1.53'],
      },
      {
        id: 'P16',
        qname: 'not-explicitly-defined-label.wildcard.example.com.',
        qtype: QType.A,
        answer: ['not-explicitly-defined-label.wildcard.example.com. 60 IN A 192.0.0.6'],
      },
      {
        id: 'P17',
        qname: 'specific-subdomain.wildcard.example.com.',
        qtype: QType.A,
        answer: ['specific-subdomain.wildcard.example.com. 60 IN A 192.0.0.7'],
      },
      // 445 bytes of TXT exceed 512: the client needs EDNS (dig sends it), else it gets TC.
      { id: 'P18', qname: 'endpoint.example.com.', qtype: QType.TXT, opts: { edns: 1232 }, answer: [`endpoint.example.com. 60 IN TXT ${TXT_L}`] },
      { id: 'P19', qname: 'endpointX.ns1.example.com.', qtype: QType.TXT, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa(Z)] },
    ],
  );
});

describe('F1: TestPluginFallthrough', () => {
  const marker = Rcode.REFUSED;
  async function withFallthrough(zones: string): Promise<StartedGateway> {
    return startGateway(F1_DIRECTIVE(`fallthrough ${zones}`), { next: nextHandler(marker) });
  }
  const rows: (Case & { id: string; zones: string })[] = [
    { id: 'F0', zones: '.', qname: 'example.com.', qtype: QType.A, answer: ['example.com. 60 IN A 192.0.0.3'] },
    { id: 'F1', zones: '.', qname: 'non-existent.example.com.', qtype: QType.A, returns: marker },
    { id: 'F2', zones: 'not-example.com.', qname: 'example.com.', qtype: QType.A, answer: ['example.com. 60 IN A 192.0.0.3'] },
    { id: 'F3', zones: 'not-example.com.', qname: 'non-existent.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN },
    { id: 'F4', zones: '.', qname: 'dns1.kube-system.example.com.', qtype: QType.A, answer: ['dns1.kube-system.example.com. 60 IN A 192.0.1.53'] },
  ];
  for (const row of rows) {
    it(`${row.id}: ${row.qname} fallthrough ${row.zones}`, async () => {
      const g = await withFallthrough(row.zones);
      try {
        await runCase(g.handler, row);
      } finally {
        await g.stop();
      }
    });
  }
});

const APEX_DIRECTIVE = (extra = '') => `k8s_gateway example.com {
  manifests ${fixture('f2.yaml')}
  ${extra}
}`;

describe('F2: TestApex (apex_test.go)', () => {
  let g: StartedGateway;
  beforeAll(async () => {
    // Only dns1 is a Service in upstream's F2; dns2 exists in the file but is not the apex.
    g = await startGateway(APEX_DIRECTIVE());
  });
  afterAll(() => g.stop());
  const Z = 'example.com.';
  table(
    () => g,
    [
      { id: 'A0', qname: 'example.com.', qtype: QType.SOA, answer: [soa(Z)], ns: [] },
      {
        id: 'A1',
        qname: 'example.com.',
        qtype: QType.NS,
        answer: ['example.com. 60 IN NS dns1.kube-system.example.com.'],
        extra: ['dns1.kube-system.example.com. 60 IN A 127.0.0.1'],
      },
      { id: 'A2', qname: 'example.com.', qtype: QType.SRV, answer: [], ns: [soa(Z)] },
      { id: 'A3', qname: 'example.com.', qtype: QType.A, answer: [], ns: [soa(Z)] },
      { id: 'A4', qname: 'dns1.kube-system.example.com.', qtype: QType.SRV, answer: [], ns: [soa(Z)] },
      { id: 'A5', qname: 'dns1.kube-system.example.com.', qtype: QType.NS, answer: [], ns: [soa(Z)] },
      { id: 'A6', qname: 'dns1.kube-system.example.com.', qtype: QType.SOA, answer: [], ns: [soa(Z)] },
      { id: 'A7', qname: 'dns1.kube-system.example.com.', qtype: QType.A, answer: ['dns1.kube-system.example.com. 60 IN A 127.0.0.1'] },
      { id: 'A8', qname: 'dns1.kube-system.example.com.', qtype: QType.AAAA, answer: [], ns: [soa(Z)] },
      { id: 'A9', qname: 'foo.dns1.kube-system.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa(Z)] },
    ],
  );
});

describe('F3: TestDualNS (apex_dual_test.go)', () => {
  let g: StartedGateway;
  beforeAll(async () => {
    g = await startGateway(APEX_DIRECTIVE('secondary dns2.kube-system'));
  });
  afterAll(() => g.stop());
  const Z = 'example.com.';
  table(
    () => g,
    [
      { id: 'D0', qname: 'example.com.', qtype: QType.SOA, answer: [soa(Z)], ns: [] },
      {
        id: 'D1',
        qname: 'example.com.',
        qtype: QType.NS,
        answer: ['example.com. 60 IN NS dns1.kube-system.example.com.', 'example.com. 60 IN NS dns2.kube-system.example.com.'],
        extra: ['dns1.kube-system.example.com. 60 IN A 127.0.0.1', 'dns2.kube-system.example.com. 60 IN A 127.0.0.2'],
      },
      { id: 'D2', qname: 'example.com.', qtype: QType.SRV, answer: [], ns: [soa(Z)] },
      { id: 'D3', qname: 'example.com.', qtype: QType.A, answer: [], ns: [soa(Z)] },
      { id: 'D4', qname: 'dns1.kube-system.example.com.', qtype: QType.SRV, answer: [], ns: [soa(Z)] },
      { id: 'D5', qname: 'dns1.kube-system.example.com.', qtype: QType.NS, answer: [], ns: [soa(Z)] },
      { id: 'D6', qname: 'dns1.kube-system.example.com.', qtype: QType.SOA, answer: [], ns: [soa(Z)] },
      { id: 'D7', qname: 'dns1.kube-system.example.com.', qtype: QType.AAAA, answer: [], ns: [soa(Z)] },
      { id: 'D8', qname: 'dns1.kube-system.example.com.', qtype: QType.A, answer: ['dns1.kube-system.example.com. 60 IN A 127.0.0.1'] },
      { id: 'D9', qname: 'foo.dns1.kube-system.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa(Z)] },
    ],
  );
});

describe('F4: TestGatewayAPIPlugin (gateway_api_test.go)', () => {
  let g: StartedGateway;
  beforeAll(async () => {
    g = await startGateway(`k8s_gateway example.com {
      manifests ${fixture('f4.yaml')}
      resources HTTPRoute TLSRoute GRPCRoute Ingress Service
    }`);
  });
  afterAll(() => g.stop());
  table(
    () => g,
    [
      { id: 'G0', qname: 'domain.gw.example.com.', qtype: QType.A, answer: ['domain.gw.example.com. 60 IN A 192.0.2.1'] },
      { id: 'G1', qname: 'shadow.example.com.', qtype: QType.A, answer: ['shadow.example.com. 60 IN A 192.0.2.4'] },
    ],
  );
});
