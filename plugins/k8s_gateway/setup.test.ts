import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseKey } from '../../src/corefile/address.js';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex as lexCorefile } from '../../src/corefile/lexer.js';
import { parseCorefile } from '../../src/corefile/parser.js';
import type { Token } from '../../src/corefile/types.js';
import { Fallthrough } from '../../src/plugin/fallthrough.js';
import { parse, type Config } from './setup.js';

const lex = (src: string): Token[] => lexCorefile(src, 'Corefile');

const BLOCK_ZONES = ['.'];

function defaults(): Config {
  return {
    zones: ['.'],
    resources: ['Ingress', 'Service'],
    serviceLabelSelectors: [],
    nodeAddressType: 'InternalIP',
    ttl: 60,
    apex: 'dns1.kube-system',
    fallthrough: Fallthrough.none(),
    hostnameTargets: 'cname',
    resolveInterval: 30_000,
    gardenerClass: 'garden',
  };
}

function run(input: string, blockZones: readonly string[] = BLOCK_ZONES): { config: Config; warnings: string[] } {
  const warnings: string[] = [];
  const config = parse(new Dispenser(lex(input)), blockZones, (m) => warnings.push(m));
  return { config, warnings };
}

const block = (...lines: string[]): string => `k8s_gateway {\n${lines.map((l) => `  ${l}\n`).join('')}}`;

describe('k8s_gateway parse: accepted', () => {
  interface Row {
    name: string;
    input: string;
    blockZones?: string[];
    want: Partial<Config>;
    /** Every warning expected, in order (substring match). Default: only the "no resources" one. */
    warnings?: string[];
  }
  const NO_RESOURCES = 'No resources specified in config. Using defaults';
  const rows: Row[] = [
    // upstream setup_test.go vectors (k8s_gateway.md 3.6)
    { name: 'bare directive', input: 'k8s_gateway', want: {} },
    { name: 'one zone', input: 'k8s_gateway example.org', want: { zones: ['example.org.'] } },
    { name: 'two zones', input: 'k8s_gateway example.org sub.example.org', want: { zones: ['example.org.', 'sub.example.org.'] } },
    { name: 'selector', input: block('serviceLabelSelectors "app=service1"'), want: { serviceLabelSelectors: ['app=service1'] } },
    {
      name: 'set selector unchanged',
      input: block('serviceLabelSelectors "app in (service1,service2)"'),
      want: { serviceLabelSelectors: ['app in (service1,service2)'] },
    },
    {
      name: 'two requirements unchanged',
      input: block('serviceLabelSelectors "app=service1,tier!=cache"'),
      want: { serviceLabelSelectors: ['app=service1,tier!=cache'] },
    },
    {
      name: 'two selectors',
      input: block('serviceLabelSelectors "app=service1" "app=service2"'),
      want: { serviceLabelSelectors: ['app=service1', 'app=service2'] },
    },
    { name: 'selector normalised', input: block('serviceLabelSelectors "app = service1"'), want: { serviceLabelSelectors: ['app=service1'] } },
    {
      name: 'two compound selectors',
      input: block('serviceLabelSelectors "app=service1,tier=frontend" "app=service2,tier=backend"'),
      want: { serviceLabelSelectors: ['app=service1,tier=frontend', 'app=service2,tier=backend'] },
    },
    // zones
    { name: 'block zones by default', input: 'k8s_gateway', blockZones: ['example.org.', 'example.net.'], want: { zones: ['example.org.', 'example.net.'] } },
    { name: 'args replace block zones', input: 'k8s_gateway example.com', blockZones: ['example.org.'], want: { zones: ['example.com.'] } },
    { name: 'zone lowercased, port dropped', input: 'k8s_gateway Example.ORG:1053', want: { zones: ['example.org.'] } },
    { name: 'zone with dot and scheme', input: 'k8s_gateway dns://example.org.', want: { zones: ['example.org.'] } },
    { name: 'duplicate zones once', input: 'k8s_gateway example.org EXAMPLE.org.', want: { zones: ['example.org.'] } },
    { name: 'reverse zone from a prefix', input: 'k8s_gateway 10.0.0.0/8', want: { zones: ['10.in-addr.arpa.'] } },
    { name: 'zone args and a block', input: 'k8s_gateway example.org {\n  ttl 30\n}', want: { zones: ['example.org.'], ttl: 30 } },
    { name: 'empty block', input: 'k8s_gateway {\n}', want: {} },
    // resources
    { name: 'resources in order', input: block('resources Service Ingress'), want: { resources: ['Service', 'Ingress'] }, warnings: [] },
    {
      name: 'every resource',
      input: block('resources Ingress Service HTTPRoute TLSRoute GRPCRoute VirtualService DNSEndpoint DNSEntry Node'),
      want: { resources: ['Ingress', 'Service', 'HTTPRoute', 'TLSRoute', 'GRPCRoute', 'VirtualService', 'DNSEndpoint', 'DNSEntry', 'Node'] },
      warnings: [],
    },
    {
      name: 'unknown resource dropped',
      input: block('resources Ingress UnknownThing'),
      want: { resources: ['Ingress'] },
      warnings: ["Corefile:2 - Unknown resource 'UnknownThing' ignored; known resources: Ingress, Service"],
    },
    {
      name: 'Pod and Gateway are not resources',
      input: block('resources Pod HTTPRoute Gateway'),
      want: { resources: ['HTTPRoute'] },
      warnings: ["Unknown resource 'Pod' ignored", "Unknown resource 'Gateway' ignored"],
    },
    {
      name: 'resource names are case-sensitive, with a hint',
      input: block('resources ingress Service'),
      want: { resources: ['Service'] },
      warnings: ["Corefile:2 - Unknown resource 'ingress' ignored (did you mean 'Ingress'?)"],
    },
    {
      name: 'only unknown resources: nothing served',
      input: block('resources Foo'),
      want: { resources: [] },
      warnings: ["Unknown resource 'Foo' ignored", 'Corefile:2 - resources: no known resource given, nothing will be served'],
    },
    { name: 'duplicate resources once', input: block('resources Service Ingress Service'), want: { resources: ['Service', 'Ingress'] }, warnings: [] },
    { name: 'last resources line wins', input: block('resources Ingress', 'resources Node'), want: { resources: ['Node'] }, warnings: [] },
    // class filters
    { name: 'ingressClasses', input: block('ingressClasses nginx traefik'), want: { ingressClasses: ['nginx', 'traefik'] } },
    { name: 'gatewayClasses', input: block('gatewayClasses istio'), want: { gatewayClasses: ['istio'] } },
    { name: 'last class line wins', input: block('ingressClasses a', 'ingressClasses b'), want: { ingressClasses: ['b'] } },
    // selectors
    {
      name: 'selector lines accumulate, duplicates once',
      input: block('serviceLabelSelectors app=a', 'serviceLabelSelectors "app = a" "tier in (y, x)"'),
      want: { serviceLabelSelectors: ['app=a', 'tier in (x,y)'] },
    },
    { name: 'selector requirements sorted by key', input: block('serviceLabelSelectors "tier!=cache,app=service1"'), want: { serviceLabelSelectors: ['app=service1,tier!=cache'] } },
    { name: 'unquoted selector', input: block('serviceLabelSelectors app=service1,!legacy'), want: { serviceLabelSelectors: ['app=service1,!legacy'] } },
    // nodeAddressType
    { name: 'nodeAddressType ExternalIP', input: block('nodeAddressType ExternalIP'), want: { nodeAddressType: 'ExternalIP' } },
    { name: 'nodeAddressType InternalIP', input: block('nodeAddressType InternalIP'), want: { nodeAddressType: 'InternalIP' } },
    // ttl
    { name: 'ttl', input: block('ttl 300'), want: { ttl: 300 } },
    { name: 'ttl 0', input: block('ttl 0'), want: { ttl: 0 } },
    { name: 'ttl 3600', input: block('ttl 3600'), want: { ttl: 3600 } },
    { name: 'ttl with sign and zeros (Go Atoi)', input: block('ttl +0030'), want: { ttl: 30 } },
    { name: 'ttl extra args ignored', input: block('ttl 30 40'), want: { ttl: 30 }, warnings: ['Corefile:2 - ttl: ignoring extra arguments "40"', NO_RESOURCES] },
    // apex / secondary
    { name: 'apex', input: block('apex exdns-k8s-gateway.dns'), want: { apex: 'exdns-k8s-gateway.dns' } },
    { name: 'apex lowercased', input: block('apex RELEASE-NAME-k8s-gateway.NAMESPACE'), want: { apex: 'release-name-k8s-gateway.namespace' } },
    { name: 'apex of one label', input: block('apex ns1'), want: { apex: 'ns1' } },
    { name: 'apex of three labels', input: block('apex ns1.dns.internal'), want: { apex: 'ns1.dns.internal' } },
    { name: 'apex extra args ignored', input: block('apex a.b c.d'), want: { apex: 'a.b' }, warnings: ['apex: ignoring extra arguments "c.d"', NO_RESOURCES] },
    { name: 'secondary', input: block('secondary exdns-2.dns'), want: { secondary: 'exdns-2.dns' } },
    {
      name: 'dual NS',
      input: block('apex exdns-1.dns', 'secondary Exdns-2.DNS'),
      want: { apex: 'exdns-1.dns', secondary: 'exdns-2.dns' },
    },
    {
      name: 'secondary equal to apex warns',
      input: block('apex ns.dns', 'secondary ns.dns'),
      want: { apex: 'ns.dns', secondary: 'ns.dns' },
      warnings: [NO_RESOURCES, 'secondary "ns.dns" is the same name as apex'],
    },
    // kubeconfig
    { name: 'kubeconfig', input: block('kubeconfig /etc/kube/config'), want: { kubeconfig: { path: '/etc/kube/config' } } },
    { name: 'kubeconfig with context', input: block('kubeconfig ~/.kube/config prod'), want: { kubeconfig: { path: '~/.kube/config', context: 'prod' } } },
    {
      name: 'kubeconfig extra args ignored',
      input: block('kubeconfig cfg ctx more'),
      want: { kubeconfig: { path: 'cfg', context: 'ctx' } },
      warnings: ['kubeconfig: ignoring extra arguments "more"', NO_RESOURCES],
    },
    // fallthrough
    { name: 'fallthrough', input: block('fallthrough'), want: { fallthrough: fallthroughOf('fallthrough') } },
    { name: 'fallthrough zones', input: block('fallthrough Example.org sub.example.net.'), want: { fallthrough: fallthroughOf('fallthrough example.org. sub.example.net.') } },
    // exdns options
    { name: 'manifests', input: block('manifests /etc/exdns/objects'), want: { manifests: ['/etc/exdns/objects'] } },
    {
      name: 'manifests lines accumulate',
      input: block('manifests a.yaml b.json', 'manifests dir/ a.yaml'),
      want: { manifests: ['a.yaml', 'b.json', 'dir/'] },
    },
    { name: 'hostnameTargets cname', input: block('hostnameTargets cname'), want: { hostnameTargets: 'cname' } },
    { name: 'hostnameTargets resolve', input: block('hostnameTargets resolve'), want: { hostnameTargets: 'resolve', resolveInterval: 30_000 } },
    { name: 'hostnameTargets resolve interval', input: block('hostnameTargets resolve 5m'), want: { hostnameTargets: 'resolve', resolveInterval: 300_000 } },
    { name: 'hostnameTargets resolve 1s', input: block('hostnameTargets resolve 1s'), want: { hostnameTargets: 'resolve', resolveInterval: 1000 } },
    { name: 'hostnameTargets resolve 1.5s', input: block('hostnameTargets resolve 1.5s'), want: { hostnameTargets: 'resolve', resolveInterval: 1500 } },
    { name: 'gardenerClass', input: block('gardenerClass dns-prod'), want: { gardenerClass: 'dns-prod' } },
    // upstream test/Corefile (developer example, 3.8)
    {
      name: 'upstream test/Corefile block',
      input: 'k8s_gateway skylab.fi {\n  kubeconfig /home/user/.kube/config\n  apex k8s-gateway.networking\n  resources HTTPRoute DNSEndpoint\n}',
      want: {
        zones: ['skylab.fi.'],
        kubeconfig: { path: '/home/user/.kube/config' },
        apex: 'k8s-gateway.networking',
        resources: ['HTTPRoute', 'DNSEndpoint'],
      },
      warnings: [],
    },
    {
      name: 'everything',
      input: [
        'k8s_gateway example.com example.net {',
        '  resources HTTPRoute Ingress Service',
        '  ingressClasses nginx',
        '  gatewayClasses istio cilium',
        '  serviceLabelSelectors "app in (web, api)" "team=dns"',
        '  nodeAddressType ExternalIP',
        '  ttl 300',
        '  apex exdns-1.dns',
        '  secondary exdns-2.dns',
        '  fallthrough example.net',
        '  manifests /srv/objects',
        '  hostnameTargets resolve 10s',
        '  gardenerClass garden-prod',
        '}',
      ].join('\n'),
      want: {
        zones: ['example.com.', 'example.net.'],
        resources: ['HTTPRoute', 'Ingress', 'Service'],
        ingressClasses: ['nginx'],
        gatewayClasses: ['istio', 'cilium'],
        serviceLabelSelectors: ['app in (api,web)', 'team=dns'],
        nodeAddressType: 'ExternalIP',
        ttl: 300,
        apex: 'exdns-1.dns',
        secondary: 'exdns-2.dns',
        fallthrough: fallthroughOf('fallthrough example.net.'),
        manifests: ['/srv/objects'],
        hostnameTargets: 'resolve',
        resolveInterval: 10_000,
        gardenerClass: 'garden-prod',
      },
      warnings: [],
    },
  ];

  it.each(rows)('$name', ({ input, blockZones, want, warnings }) => {
    const got = run(input, blockZones);
    expect(got.config).toEqual({ ...defaults(), ...want });
    const expected = warnings ?? [NO_RESOURCES];
    expect(got.warnings).toHaveLength(expected.length);
    expected.forEach((w, i) => expect(got.warnings[i]).toContain(w));
  });

  it('the fallthrough zones are honoured', () => {
    const { config } = run(block('fallthrough example.net'));
    expect(config.fallthrough.through('a.example.net.')).toBe(true);
    expect(config.fallthrough.through('a.example.org.')).toBe(false);
    expect(run('k8s_gateway').config.fallthrough.enabled).toBe(false);
  });
});

function fallthroughOf(line: string): Fallthrough {
  const c = new Dispenser(lex(line));
  c.next();
  return Fallthrough.parse(c);
}

describe('k8s_gateway parse: rejected', () => {
  const rows: Array<{ name: string; input: string; err: string }> = [
    // upstream setup_test.go vectors (k8s_gateway.md 3.6)
    { name: 'selectors without args', input: block('serviceLabelSelectors'), err: 'Corefile:2 - Error during parsing: serviceLabelSelectors requires at least one argument' },
    {
      name: 'invalid selector',
      input: block('serviceLabelSelectors "!!!invalid"'),
      err: `Corefile:2 - Error during parsing: invalid serviceLabelSelectors "!!!invalid": unable to parse requirement: found '!', expected: identifier`,
    },
    { name: 'empty selector', input: block('serviceLabelSelectors ""'), err: 'Corefile:2 - Error during parsing: serviceLabelSelectors does not accept empty strings' },
    { name: 'empty selector among others', input: block('serviceLabelSelectors "" "app=service1"'), err: 'serviceLabelSelectors does not accept empty strings' },
    // the other upstream error paths
    { name: 'selector with a bad value', input: block('serviceLabelSelectors app=-x'), err: 'invalid serviceLabelSelectors "app=-x": unable to parse requirement: invalid label value "-x"' },
    { name: 'resources without args', input: block('resources'), err: "Corefile:2 - Error during parsing: Incorrectly formatted 'resource' parameter" },
    { name: 'ingressClasses without args', input: block('ingressClasses'), err: "Corefile:2 - Error during parsing: Wrong argument count or unexpected line ending after 'ingressClasses'" },
    { name: 'gatewayClasses without args', input: block('gatewayClasses'), err: "Wrong argument count or unexpected line ending after 'gatewayClasses'" },
    { name: 'nodeAddressType without args', input: block('nodeAddressType'), err: "Wrong argument count or unexpected line ending after 'nodeAddressType'" },
    { name: 'nodeAddressType two args', input: block('nodeAddressType InternalIP ExternalIP'), err: "Wrong argument count or unexpected line ending after 'ExternalIP'" },
    { name: 'nodeAddressType invalid', input: block('nodeAddressType Hostname'), err: 'Corefile:2 - Error during parsing: nodeAddressType must be InternalIP or ExternalIP, got "Hostname"' },
    { name: 'nodeAddressType is case-sensitive', input: block('nodeAddressType internalip'), err: 'nodeAddressType must be InternalIP or ExternalIP, got "internalip"' },
    { name: 'ttl without args', input: block('ttl'), err: "Wrong argument count or unexpected line ending after 'ttl'" },
    { name: 'ttl not a number', input: block('ttl abc'), err: 'Corefile:2 - Error during parsing: ttl must be an integer in range [0, 3600]: "abc"' },
    { name: 'ttl with a unit', input: block('ttl 30s'), err: 'ttl must be an integer in range [0, 3600]: "30s"' },
    { name: 'ttl fraction', input: block('ttl 1.5'), err: 'ttl must be an integer in range [0, 3600]: "1.5"' },
    { name: 'ttl too large', input: block('ttl 3601'), err: 'Corefile:2 - Error during parsing: ttl must be in range [0, 3600]: 3601' },
    { name: 'ttl negative', input: block('ttl -1'), err: 'ttl must be in range [0, 3600]: -1' },
    { name: 'apex without args', input: block('apex'), err: "Wrong argument count or unexpected line ending after 'apex'" },
    { name: 'apex with a trailing dot', input: block('apex ns1.example.com.'), err: 'apex must be a name relative to the zone, without a trailing dot: "ns1.example.com."' },
    { name: 'apex invalid characters', input: block('apex ns_1.dns'), err: 'Corefile:2 - Error during parsing: invalid apex "ns_1.dns": invalid characters' },
    { name: 'apex empty label', input: block('apex a..b'), err: 'invalid apex "a..b": empty label' },
    { name: 'apex empty', input: block('apex ""'), err: 'invalid apex "": empty name' },
    { name: 'apex wildcard', input: block('apex *.dns'), err: 'invalid apex "*.dns": wildcard not allowed' },
    { name: 'apex long label', input: block(`apex ${'a'.repeat(64)}.dns`), err: 'label longer than 63 characters' },
    { name: 'secondary without args', input: block('secondary'), err: "Wrong argument count or unexpected line ending after 'secondary'" },
    { name: 'secondary invalid', input: block('secondary -ns2.dns'), err: 'invalid secondary "-ns2.dns": invalid characters' },
    { name: 'secondary with a trailing dot', input: block('secondary ns2.'), err: 'secondary must be a name relative to the zone' },
    { name: 'kubeconfig without args', input: block('kubeconfig'), err: "Wrong argument count or unexpected line ending after 'kubeconfig'" },
    { name: 'kubeconfig empty path', input: block('kubeconfig ""'), err: 'kubeconfig path must not be empty' },
    { name: 'unknown property', input: block('endpoint https://k8s'), err: "Corefile:2 - Error during parsing: Unknown property 'endpoint'" },
    { name: 'option names are case-sensitive', input: block('TTL 30'), err: "Unknown property 'TTL'" },
    { name: 'unknown property after valid ones', input: block('ttl 30', 'apex a.b', 'resource Ingress'), err: "Corefile:4 - Error during parsing: Unknown property 'resource'" },
    { name: 'invalid zone', input: 'k8s_gateway example.org:', err: 'Corefile:1 - Error during parsing: invalid zone "example.org:"' },
    // exdns options
    { name: 'manifests without args', input: block('manifests'), err: "Wrong argument count or unexpected line ending after 'manifests'" },
    { name: 'manifests empty path', input: block('manifests ""'), err: 'manifests does not accept empty paths' },
    {
      name: 'manifests after kubeconfig',
      input: block('kubeconfig cfg', 'manifests objs'),
      err: 'Corefile:3 - Error during parsing: manifests cannot be combined with kubeconfig',
    },
    {
      name: 'kubeconfig after manifests',
      input: block('manifests objs', 'kubeconfig cfg'),
      err: 'Corefile:3 - Error during parsing: kubeconfig cannot be combined with manifests',
    },
    { name: 'hostnameTargets without args', input: block('hostnameTargets'), err: "Wrong argument count or unexpected line ending after 'hostnameTargets'" },
    { name: 'hostnameTargets three args', input: block('hostnameTargets resolve 1m 2m'), err: "Wrong argument count or unexpected line ending after '2m'" },
    { name: 'hostnameTargets invalid', input: block('hostnameTargets a'), err: 'hostnameTargets must be cname or resolve, got "a"' },
    { name: 'hostnameTargets cname with interval', input: block('hostnameTargets cname 30s'), err: 'hostnameTargets cname takes no interval, got "30s"' },
    { name: 'hostnameTargets bad interval', input: block('hostnameTargets resolve 30'), err: 'invalid hostnameTargets interval "30": time: missing unit in duration "30"' },
    { name: 'hostnameTargets interval too small', input: block('hostnameTargets resolve 500ms'), err: 'hostnameTargets interval must be at least 1s, got "500ms"' },
    { name: 'hostnameTargets interval negative', input: block('hostnameTargets resolve -5s'), err: 'hostnameTargets interval must be at least 1s, got "-5s"' },
    { name: 'gardenerClass without args', input: block('gardenerClass'), err: "Wrong argument count or unexpected line ending after 'gardenerClass'" },
    { name: 'gardenerClass two args', input: block('gardenerClass a b'), err: "Wrong argument count or unexpected line ending after 'b'" },
    { name: 'gardenerClass empty', input: block('gardenerClass ""'), err: 'gardenerClass does not accept an empty string' },
  ];
  it.each(rows)('$name', ({ input, err }) => {
    expect(() => run(input)).toThrow(err);
  });
});

/** The k8s_gateway directive of the first block that has one, with that block's zones. */
function directiveOf(corefile: string, file: string): { c: Dispenser; zones: string[] } {
  for (const b of parseCorefile(corefile, file, { env: {} })) {
    const d = b.directives.find((x) => x.name === 'k8s_gateway');
    if (d === undefined) continue;
    const zones = b.keys.flatMap((k) => parseKey(k.text, 53).map((a) => a.zone));
    return { c: new Dispenser(d.tokens, file), zones };
  }
  throw new Error(`no k8s_gateway directive in ${file}`);
}

describe('whole Corefiles', () => {
  it('parses the Helm chart Corefile (k8s_gateway.md 4.2)', () => {
    const corefile = `.:1053 {
    debug
    k8s_gateway example.com {
      apex RELEASE-NAME-k8s-gateway.NAMESPACE
      ttl 300
      resources Service Ingress
    }
    log
    errors
    health {
      lameduck 5s
    }
    ready
    prometheus 0.0.0.0:9153
    forward . /etc/resolv.conf
    loop
    reload
    loadbalance
  }
`;
    const { c, zones } = directiveOf(corefile, 'Corefile');
    const warnings: string[] = [];
    expect(parse(c, zones, (m) => warnings.push(m))).toEqual({
      ...defaults(),
      zones: ['example.com.'],
      apex: 'release-name-k8s-gateway.namespace',
      ttl: 300,
      resources: ['Service', 'Ingress'],
    });
    expect(warnings).toEqual([]);
  });

  it('parses the full Helm chart template output (every optional line)', () => {
    const corefile = `.:1053 {
    k8s_gateway example.com example.org {
      apex exdns-k8s-gateway.dns
      ttl 300
      secondary exdns-2-k8s-gateway.dns
      resources HTTPRoute Ingress Service
      ingressClasses nginx
      gatewayClasses istio
      serviceLabelSelectors "app=service1" "tier in (frontend,backend)"
      fallthrough example.org
    }
}
`;
    const { c, zones } = directiveOf(corefile, 'Corefile');
    const config = parse(c, zones, () => {});
    expect(config).toEqual({
      ...defaults(),
      zones: ['example.com.', 'example.org.'],
      apex: 'exdns-k8s-gateway.dns',
      secondary: 'exdns-2-k8s-gateway.dns',
      ttl: 300,
      resources: ['HTTPRoute', 'Ingress', 'Service'],
      ingressClasses: ['nginx'],
      gatewayClasses: ['istio'],
      serviceLabelSelectors: ['app=service1', 'tier in (backend,frontend)'],
      fallthrough: fallthroughOf('fallthrough example.org.'),
    });
  });

  it('uses the server block keys as zones (install-clusterwide.yml)', () => {
    const corefile = '.:53 {\n  errors\n  log\n  ready\n  k8s_gateway example.com {\n    resources Ingress Service\n  }\n}\nfoo.org:1053 {\n  k8s_gateway\n}\n';
    const [, second] = parseCorefile(corefile, 'Corefile', { env: {} });
    const d = second!.directives.find((x) => x.name === 'k8s_gateway')!;
    expect(parse(new Dispenser(d.tokens), ['foo.org.'], () => {}).zones).toEqual(['foo.org.']);
    const first = directiveOf(corefile, 'Corefile');
    expect(parse(first.c, first.zones, () => {}).zones).toEqual(['example.com.']);
  });

  it('reports errors at the line of the Corefile', () => {
    const { c, zones } = directiveOf('example.org {\n  whoami\n  k8s_gateway {\n    ttl 9999\n  }\n}\n', 'conf/Corefile');
    expect(() => parse(c, zones, () => {})).toThrow('conf/Corefile:4 - Error during parsing: ttl must be in range [0, 3600]: 9999');
  });

  it('parses every ~~~ corefile example of the README', () => {
    const readme = path.join(path.dirname(fileURLToPath(import.meta.url)), 'README.md');
    const md = readFileSync(readme, 'utf8');
    const blocks = [...md.matchAll(/^~~~ corefile\n([\s\S]*?)^~~~$/gm)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    for (const text of blocks) {
      const { c, zones } = directiveOf(text, 'README');
      expect(() => parse(c, zones, () => {})).not.toThrow();
    }
  });
});
