/**
 * One test object (or the few a kind joins with) per k8s_gateway resource kind, with the status a
 * controller would write, and the answer exdns must give for it. Used to prove a rendered chart's
 * ClusterRole lets exdns read every kind its values enable.
 */
import type { KubeObject } from '../testbed/client.js';
import type { ResourceKind } from './chart.js';

export interface Fixture {
  readonly kind: ResourceKind;
  /** The name to ask for. */
  readonly host: string;
  /** The A record it must answer with. */
  readonly ip: string;
  /** Applied in order. */
  readonly objects: KubeObject[];
  /** Status subresources to write after applying (as controllers would). */
  readonly statuses: [KubeObject, Record<string, unknown>][];
}

export interface FixtureOptions {
  namespace: string;
  zone: string;
  /** Unique per test run and value set: keeps names apart from other runs' leftovers. */
  tag: string;
  nodeAddressType?: 'InternalIP' | 'ExternalIP';
  /** Must be one the value set's filters let through. */
  ingressClass?: string;
  gatewayClass?: string;
}

const lb = (...ips: string[]) => ({ loadBalancer: { ingress: ips.map((ip) => ({ ip })) } });

export function fixtures(o: FixtureOptions): Record<ResourceKind, Fixture> {
  const { namespace, zone, tag } = o;
  const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace, ...extra });

  const gateway: KubeObject = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: meta(`gw-${tag}`),
    spec: { gatewayClassName: o.gatewayClass ?? 'public', listeners: [{ name: 'https', port: 443, protocol: 'HTTPS' }] },
  };
  const gatewayStatus = { addresses: [{ type: 'IPAddress', value: '192.0.2.130' }] };
  const route = (kind: 'HTTPRoute' | 'GRPCRoute' | 'TLSRoute'): Fixture => {
    const host = `${kind.toLowerCase()}-${tag}.${zone}`;
    return {
      kind,
      host,
      ip: '192.0.2.130',
      objects: [
        gateway,
        { apiVersion: 'gateway.networking.k8s.io/v1', kind, metadata: meta(`${kind.toLowerCase()}-${tag}`), spec: { hostnames: [host], parentRefs: [{ name: gateway.metadata.name }] } },
      ],
      statuses: [[gateway, gatewayStatus]],
    };
  };

  const ingress: KubeObject = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta(`ing-${tag}`),
    spec: {
      ingressClassName: o.ingressClass ?? 'nginx',
      rules: [{ host: `ing-${tag}.${zone}`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
    },
  };
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(`svc-${tag}`),
    spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 443 }] },
  };
  const istioSelector = { istio: `ingress-${tag}` };
  const istioService: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(`istio-${tag}`, { labels: istioSelector }),
    spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, selector: istioSelector, ports: [{ port: 443 }] },
  };
  const vsHost = `vs-${tag}.${zone}`;
  const nodeName = `node-${tag}`;
  const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName } };

  return {
    Ingress: { kind: 'Ingress', host: `ing-${tag}.${zone}`, ip: '192.0.2.110', objects: [ingress], statuses: [[ingress, lb('192.0.2.110')]] },
    // A Service's default name is <name>.<namespace> in every zone.
    Service: { kind: 'Service', host: `svc-${tag}.${namespace}.${zone}`, ip: '192.0.2.120', objects: [service], statuses: [[service, lb('192.0.2.120')]] },
    HTTPRoute: route('HTTPRoute'),
    GRPCRoute: route('GRPCRoute'),
    TLSRoute: route('TLSRoute'),
    VirtualService: {
      kind: 'VirtualService',
      host: vsHost,
      ip: '192.0.2.140',
      objects: [
        istioService,
        {
          apiVersion: 'networking.istio.io/v1',
          kind: 'Gateway',
          metadata: meta(`igw-${tag}`),
          spec: { selector: istioSelector, servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: [`*/${vsHost}`] }] },
        },
        { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta(`vs-${tag}`), spec: { hosts: [vsHost], gateways: [`${namespace}/igw-${tag}`] } },
      ],
      statuses: [[istioService, lb('192.0.2.140')]],
    },
    DNSEndpoint: {
      kind: 'DNSEndpoint',
      host: `ep-${tag}.${zone}`,
      ip: '192.0.2.150',
      objects: [
        {
          apiVersion: 'externaldns.k8s.io/v1alpha1',
          kind: 'DNSEndpoint',
          metadata: meta(`ep-${tag}`),
          spec: { endpoints: [{ dnsName: `ep-${tag}.${zone}`, recordType: 'A', targets: ['192.0.2.150'] }] },
        },
      ],
      statuses: [],
    },
    DNSEntry: {
      kind: 'DNSEntry',
      host: `entry-${tag}.${zone}`,
      ip: '192.0.2.160',
      objects: [{ apiVersion: 'dns.gardener.cloud/v1alpha1', kind: 'DNSEntry', metadata: meta(`entry-${tag}`), spec: { dnsName: `entry-${tag}.${zone}`, targets: ['192.0.2.160'] } }],
      statuses: [],
    },
    // A Node's Hostname address is a relative name: it exists in every zone.
    Node: {
      kind: 'Node',
      host: `${nodeName}.${zone}`,
      ip: o.nodeAddressType === 'ExternalIP' ? '192.0.2.171' : '192.0.2.170',
      objects: [node],
      statuses: [
        [
          node,
          {
            addresses: [
              { type: 'Hostname', address: nodeName },
              { type: 'InternalIP', address: '192.0.2.170' },
              { type: 'ExternalIP', address: '192.0.2.171' },
            ],
          },
        ],
      ],
    },
  };
}
