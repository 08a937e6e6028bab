import { describe, expect, it } from 'vitest';
import type { ExtractOptions, JoinContext, KubeObject, NameContribution, Problem } from '../types.js';
import { extractNode } from './node.js';

const ctx: JoinContext = { get: () => undefined, endpointSlices: () => [], all: () => [] };
const internal: ExtractOptions = { nodeAddressType: 'InternalIP', gardenerClass: 'gardendns' };
const external: ExtractOptions = { ...internal, nodeAddressType: 'ExternalIP' };

function node(name: string, addresses: unknown, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, status: { addresses } };
}

interface Case {
  name: string;
  obj: KubeObject;
  opts: ExtractOptions;
  names: NameContribution[];
  problems?: Problem['reason'][];
}

const node1 = node('node1', [
  { type: 'Hostname', address: 'node1' },
  { type: 'InternalIP', address: '10.0.0.1' },
  { type: 'ExternalIP', address: '203.0.113.1' },
]);
const node2 = node('node2', [
  { type: 'Hostname', address: 'node2' },
  { type: 'InternalIP', address: '10.0.0.2' },
  { type: 'InternalIP', address: 'fd00::2' },
]);
const noHostname = node('node-no-hostname', [{ type: 'ExternalIP', address: '203.0.113.99' }]);

const cases: Case[] = [
  // Upstream kubernetes_test.go vectors.
  { name: 'node1 InternalIP', obj: node1, opts: internal, names: [{ name: 'node1', targets: [{ t: 'a', ip: '10.0.0.1' }] }] },
  { name: 'node1 ExternalIP', obj: node1, opts: external, names: [{ name: 'node1', targets: [{ t: 'a', ip: '203.0.113.1' }] }] },
  {
    name: 'node2 dual-stack InternalIP',
    obj: node2,
    opts: internal,
    names: [{ name: 'node2', targets: [{ t: 'a', ip: '10.0.0.2' }, { t: 'aaaa', ip: 'fd00::2' }] }],
  },
  { name: 'node2 has no ExternalIP: no name', obj: node2, opts: external, names: [] },
  { name: 'no Hostname address: nothing', obj: noHostname, opts: external, names: [] },
  {
    name: 'ignore label',
    obj: node('ignored-node', [{ type: 'Hostname', address: 'ignored' }, { type: 'InternalIP', address: '10.0.0.9' }], { 'k8s-gateway.dns/ignore': 'true' }),
    opts: internal,
    names: [],
  },
  // Ours.
  {
    name: 'the first Hostname wins, FQDN hostnames normalised',
    obj: node('n', [
      { type: 'InternalIP', address: '10.0.0.1' },
      { type: 'Hostname', address: 'Node-1.Cluster.Local.' },
      { type: 'Hostname', address: 'other' },
    ]),
    opts: internal,
    names: [{ name: 'node-1.cluster.local', targets: [{ t: 'a', ip: '10.0.0.1' }] }],
  },
  {
    name: 'InternalDNS/ExternalDNS addresses are not targets',
    obj: node('n', [
      { type: 'Hostname', address: 'n1' },
      { type: 'InternalDNS', address: 'n1.internal' },
      { type: 'InternalIP', address: '10.0.0.1' },
      { type: 'InternalIP', address: '10.0.0.1' },
    ]),
    opts: internal,
    names: [{ name: 'n1', targets: [{ t: 'a', ip: '10.0.0.1' }] }],
  },
  {
    name: 'an invalid Hostname is reported',
    obj: node('n', [{ type: 'Hostname', address: 'bad_host' }, { type: 'InternalIP', address: '10.0.0.1' }]),
    opts: internal,
    names: [],
    problems: ['invalid_name'],
  },
  {
    name: 'a wildcard Hostname is refused',
    obj: node('n', [{ type: 'Hostname', address: '*.nodes' }, { type: 'InternalIP', address: '10.0.0.1' }]),
    opts: internal,
    names: [],
    problems: ['invalid_name'],
  },
  {
    name: 'an invalid address is reported',
    obj: node('n', [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '10.0.0' }, { type: 'InternalIP', address: '10.0.0.1' }]),
    opts: internal,
    names: [{ name: 'n1', targets: [{ t: 'a', ip: '10.0.0.1' }] }],
    problems: ['invalid_target'],
  },
  {
    name: 'ttl annotation',
    obj: {
      kind: 'Node',
      metadata: { annotations: { 'external-dns.kubernetes.io/ttl': '15' } },
      status: { addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '10.0.0.1' }] },
    },
    opts: internal,
    names: [{ name: 'n1', ttl: 15, targets: [{ t: 'a', ip: '10.0.0.1' }] }],
  },
  // Untrusted shapes.
  { name: 'addresses is not a list', obj: node('n', { type: 'Hostname', address: 'n1' }), opts: internal, names: [] },
  {
    name: 'odd address entries',
    obj: node('n', [null, 'Hostname', { type: 'Hostname', address: 5 }, { type: 'Hostname', address: '' }, { type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: ['10.0.0.1'] }, { type: 'InternalIP', address: '10.0.0.2' }]),
    opts: internal,
    names: [{ name: 'n1', targets: [{ t: 'a', ip: '10.0.0.2' }] }],
  },
  { name: 'no status', obj: { kind: 'Node', metadata: { name: 'n' } }, opts: internal, names: [] },
];

describe('extractNode', () => {
  it.each(cases)('$name', (c) => {
    const got = extractNode(c.obj, ctx, c.opts);
    expect(got.names).toEqual(c.names);
    expect(got.problems.map((p) => p.reason)).toEqual(c.problems ?? []);
  });
});
