/**
 * Every resource kind end to end, from manifests through the index to the handler, with the
 * options that filter it: Node (nodeAddressType), Istio, Gateway API (listener hostnames,
 * rejected parents, gatewayClasses), Ingress (ingressClasses, ignore label) and Service
 * (serviceLabelSelectors, hostname annotations, resolve-endpoints).
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { QType, Rcode } from '../../src/wire/constants.js';
import { fixture, type Row, soa, startGateway, type StartedGateway, table } from '../../test/k8s-gateway.js';

const SOA = soa('example.com.');

function nx(id: string, qname: string, qtype: number = QType.A): Row {
  return { id, qname, qtype, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] };
}
function nodata(id: string, qname: string, qtype: number): Row {
  return { id, qname, qtype, answer: [], ns: [SOA] };
}
function a(id: string, qname: string, ...ips: string[]): Row {
  return { id, qname, qtype: QType.A, answer: ips.map((ip) => `${qname} 60 IN A ${ip}`), ns: [] };
}
function aaaa(id: string, qname: string, ...ips: string[]): Row {
  return { id, qname, qtype: QType.AAAA, answer: ips.map((ip) => `${qname} 60 IN AAAA ${ip}`), ns: [] };
}

/** A describe block around one gateway built from `directive`, with its table of rows. */
function served(title: string, directive: string, rows: Row[]): void {
  describe(title, () => {
    let g: StartedGateway;
    beforeAll(async () => {
      g = await startGateway(directive);
    });
    afterAll(() => g.stop());
    table(() => g, rows);
  });
}

const zone = (file: string, options: string): string => `k8s_gateway example.com {
  manifests ${fixture(file)}
  ${options}
}`;

describe('Node', () => {
  served('nodeAddressType InternalIP (default)', zone('nodes.yaml', 'resources Node'), [
    a('N0', 'node1.example.com.', '10.0.0.1'),
    aaaa('N1', 'node1.example.com.', 'fd00::1'),
    a('N2', 'node2.example.com.', '10.0.0.2'),
    nx('N3', 'node3.example.com.'),
    nx('N4', 'node2.example.com.example.com.'),
  ]);
  served('nodeAddressType ExternalIP', zone('nodes.yaml', 'resources Node\nnodeAddressType ExternalIP'), [
    a('N5', 'node1.example.com.', '203.0.113.1'),
    nodata('N6', 'node1.example.com.', QType.AAAA),
    // node2 has no external address.
    nx('N7', 'node2.example.com.'),
  ]);
});

served('Istio: VirtualService -> Gateway -> LoadBalancer Service', zone('istio.yaml', 'resources VirtualService'), [
  a('S0', 'shop.example.com.', '192.0.2.80'),
  nodata('S1', 'shop.example.com.', QType.AAAA),
  // The Istio Gateway's own server hosts, namespace prefixes dropped.
  a('S2', 'gw-host.example.com.', '192.0.2.80'),
  a('S3', 'gw-other.example.com.', '192.0.2.80'),
  // A mesh short name is not a DNS name; mesh-only and dangling bindings have no address.
  nx('S4', 'reviews.example.com.'),
  nx('S5', 'mesh-only.example.com.'),
  nx('S6', 'missing.example.com.'),
  // The Service itself is not served: Service is not among the resources.
  nx('S7', 'istio-ingressgateway.istio-system.example.com.'),
]);

describe('Gateway API', () => {
  const rows = (otherClass: Row): Row[] => [
    a('G0', 'web.example.com.', '192.0.2.90'),
    // A route without hostnames takes its listeners' hostnames.
    a('G1', 'listener.example.com.', '192.0.2.90'),
    a('G2', 'one.apps.example.com.', '192.0.2.90'),
    a('G3', 'two.one.apps.example.com.', '192.0.2.90'),
    nodata('G4', 'apps.example.com.', QType.A),
    // A parent that rejected the route gives it nothing.
    nx('G5', 'rejected.example.com.'),
    a('G6', 'grpc.example.com.', '192.0.2.90'),
    a('G7', 'tls.example.com.', '192.0.2.90'),
    nx('G8', 'missing-parent.example.com.'),
    otherClass,
  ];
  served('every Gateway class', zone('gatewayapi.yaml', 'resources HTTPRoute GRPCRoute TLSRoute'), rows(a('G9', 'other-class.example.com.', '192.0.2.91')));
  served(
    'gatewayClasses example',
    zone('gatewayapi.yaml', 'resources HTTPRoute GRPCRoute TLSRoute\ngatewayClasses example'),
    rows(nx('G10', 'other-class.example.com.')),
  );
  served('only HTTPRoute', zone('gatewayapi.yaml', 'resources HTTPRoute'), [
    a('G11', 'web.example.com.', '192.0.2.90'),
    nx('G12', 'grpc.example.com.'),
    nx('G13', 'tls.example.com.'),
  ]);
});

describe('Ingress classes', () => {
  served('every class', zone('classes.yaml', 'resources Ingress'), [
    a('I0', 'nginx-spec.example.com.', '192.0.2.1'),
    a('I1', 'nginx-legacy.example.com.', '192.0.2.2'),
    a('I2', 'traefik.example.com.', '192.0.2.3'),
    a('I3', 'spec-wins.example.com.', '192.0.2.4'),
    a('I4', 'no-class.example.com.', '192.0.2.5'),
    nx('I5', 'ignored.example.com.'),
  ]);
  served('ingressClasses nginx', zone('classes.yaml', 'resources Ingress\ningressClasses nginx'), [
    a('I6', 'nginx-spec.example.com.', '192.0.2.1'),
    // The legacy annotation counts when spec.ingressClassName is absent ...
    a('I7', 'nginx-legacy.example.com.', '192.0.2.2'),
    nx('I8', 'traefik.example.com.'),
    // ... and not when it is set.
    nx('I9', 'spec-wins.example.com.'),
    // An Ingress without a class matches no filter.
    nx('I10', 'no-class.example.com.'),
    nx('I11', 'ignored.example.com.'),
  ]);
  served('ingressClasses nginx traefik', zone('classes.yaml', 'resources Ingress\ningressClasses nginx traefik'), [
    a('I12', 'spec-wins.example.com.', '192.0.2.4'),
    a('I13', 'traefik.example.com.', '192.0.2.3'),
    nx('I14', 'no-class.example.com.'),
  ]);
});

describe('Service', () => {
  served('every Service', zone('services.yaml', 'resources Service'), [
    a('V0', 'labelled.ns1.example.com.', '192.0.2.100'),
    a('V1', 'unlabelled.ns1.example.com.', '192.0.2.101'),
    nx('V2', 'ignored.ns1.example.com.'),
    // A hostname annotation replaces <name>.<namespace>.
    a('V3', 'coredns-host.example.com.', '192.0.2.103'),
    nx('V4', 'coredns-host.ns1.example.com.'),
    a('V5', 'alpha1.example.com.', '192.0.2.104'),
    a('V6', 'alpha2.example.com.', '192.0.2.104'),
    nx('V7', 'ext-alpha.ns1.example.com.'),
    a('V8', 'ga.example.com.', '192.0.2.105'),
    nx('V9', 'clusterip.ns1.example.com.'),
    // resolve-endpoints: ready (or unknown) addresses of its own namespace's slices.
    a('V10', 'backend.ns1.example.com.', '10.1.0.1', '10.1.0.3'),
    aaaa('V11', 'backend.ns1.example.com.', 'fd00::1'),
    nx('V12', 'backend.ns2.example.com.'),
    nodata('V13', 'ns1.example.com.', QType.A),
  ]);
  served('serviceLabelSelectors dns=public', zone('services.yaml', 'resources Service\nserviceLabelSelectors dns=public'), [
    a('V14', 'labelled.ns1.example.com.', '192.0.2.100'),
    nx('V15', 'unlabelled.ns1.example.com.'),
    nx('V16', 'ignored.ns1.example.com.'),
    a('V17', 'backend.ns1.example.com.', '10.1.0.1', '10.1.0.3'),
  ]);
  served('serviceLabelSelectors "!dns" "dns in (private)"', zone('services.yaml', 'resources Service\nserviceLabelSelectors "!dns" "dns in (private)"'), [
    nx('V18', 'labelled.ns1.example.com.'),
    a('V19', 'unlabelled.ns1.example.com.', '192.0.2.101'),
    nx('V20', 'ga.example.com.'),
  ]);
});
