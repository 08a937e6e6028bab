/**
 * charts/exdns without a cluster: `helm lint` and `helm template` with every value set of
 * charts/exdns/ci (and a few inline ones), the generated Corefile checked by `exdns validate`,
 * and the rendered objects checked against what the chart promises (ClusterRole rules per
 * watchedResources, security context, ports, probes, Service, PDB, ServiceMonitor).
 * Helm is built from the Go module proxy by scripts/helm.mjs on first use (cached).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIfStale, cli, root } from '../exdns-process.js';
import { parseYaml, type KubeObject } from '../testbed/client.js';
import { chartDir, ensureHelm, expectedRules, flattenRules, helm, readValues, render, valueSets, writeConfig, type Rendered } from '../deploy/chart.js';

const sets = valueSets();
const tmp = mkdtempSync(path.join(tmpdir(), 'exdns-chart-test-'));

beforeAll(async () => {
  await ensureHelm();
  buildIfStale();
}, 30 * 60_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `exdns validate -conf` on the Corefile as the Pod would see it (customConfig files included). */
function validate(r: Rendered, name: string): { code: number | null; out: string } {
  const dir = path.join(tmp, name);
  const file = writeConfig(r, dir);
  const v = spawnSync(process.execPath, [cli, 'validate', '-conf', file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: v.status, out: `${v.stdout}${v.stderr}` };
}

type Container = {
  args: string[];
  ports: { name: string; containerPort: number; protocol: string }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
};
type PodSpec = {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: { name: string; configMap?: { name: string; optional?: boolean } }[];
  topologySpreadConstraints?: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }[];
  priorityClassName?: string;
};
const podSpec = (r: Rendered): PodSpec => (r.find('Deployment').spec as { template: { spec: PodSpec } }).template.spec;
const spec = (o: KubeObject) => o.spec as Record<string, unknown>;

describe('helm lint', () => {
  it('has the value sets the tests rely on', () => {
    expect([...sets.keys()]).toEqual(expect.arrayContaining(['single', 'dual', 'gateway-api', 'forward', 'all-kinds', 'istio']));
  });

  it.each([...sets])('lint --strict with ci/%s-values.yaml', (_name, file) => {
    const out = helm(['lint', '--strict', chartDir, '-f', file]);
    expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it('without a domain the chart refuses to render, and says why', () => {
    expect(() => helm(['template', 'x', chartDir])).toThrow(/domain is required/);
  });

  // values.schema.json catches types and enums first; the templates check again (and what a schema
  // cannot say) for `--skip-schema-validation`.
  it.each([
    [{ watchedResources: [] }, /at '\/watchedResources': minItems/, /watchedResources must name at least one kind/],
    [{ watchedResources: ['Ingress', 'Gateway'] }, /at '\/watchedResources\/1': value must be one of/, /watchedResources: unknown kind "Gateway"/],
    [{ watchedResources: 'Ingress' }, /at '\/watchedResources': got string, want array/, /watchedResources must be a list/],
    [{ ttl: 3601 }, /at '\/ttl': maximum/, undefined],
    [{ apex: 'ns1.example.com.' }, /at '\/apex': .* does not match pattern/, undefined],
    [{ service: { type: 'External' } }, /at '\/service\/type': value must be one of/, undefined],
    [{ customConfig: { data: { 'extra.conf': 'log' } } }, undefined, /must end in \.override .* or \.server/],
    [{ podDisruptionBudget: { minAvailable: 1, maxUnavailable: 1 } }, undefined, /minAvailable or maxUnavailable, not both/],
  ])('rejects %j', (values, bySchema, byTemplate) => {
    const opts = { release: 'x', namespace: 'dns', values: { domain: 'example.com', ...values } };
    expect(() => render(opts)).toThrow(bySchema ?? byTemplate!);
    if (byTemplate) expect(() => render({ ...opts, skipSchemaValidation: true })).toThrow(byTemplate);
  });
});

describe('the generated Corefile passes `exdns validate`', () => {
  it.each([...sets])('ci/%s-values.yaml', (name, file) => {
    const r = render({ release: 'exdns', namespace: 'dns', valuesFiles: [file] });
    const v = validate(r, name);
    expect(v.code, v.out).toBe(0);
    expect(v.out).toMatch(/: OK \(/);
  });

  it.each([
    ['several zones as one string, the upstream spelling', { domain: 'a.example.com b.example.com' }, 'a.example.com.:1053 b.example.com.:1053'],
    ['the upstream filters.* keys', { domain: 'example.com', filters: { ingressClasses: ['nginx'], gatewayClasses: ['gw'], serviceLabelSelectors: ['app in (a, b)'] } }, 'example.com.:1053'],
    ['forward with fallthrough to some zones', { domain: 'example.com', forward: { enabled: true, upstreams: ['192.0.2.1', '192.0.2.2:5353'] }, fallthrough: { enabled: true, zones: ['lab.example.com'] } }, '.:1053'],
    ['everything optional off', { domain: 'example.com', metrics: { enabled: false }, customConfig: { enabled: false }, extraZonePlugins: [], lameduck: '' }, 'example.com.:1053'],
    ['a plugin with a config block', { domain: 'example.com', extraZonePlugins: [{ name: 'cache', parameters: '30', configBlock: 'success 1000\ndenial 100' }] }, 'example.com.:1053'],
    ['other ports', { domain: 'example.com', ports: { dns: 5353, health: 18080, ready: 18181 }, metrics: { port: 19153 } }, 'example.com.:5353'],
  ])('%s', (name, values, listeners) => {
    const r = render({ release: 'exdns', namespace: 'dns', values });
    const v = validate(r, name.replace(/[^a-z0-9]+/gi, '-'));
    expect(v.code, v.out).toBe(0);
    expect(v.out).toContain(`OK (1 server block: ${listeners})`);
  });
});

describe('the Corefile', () => {
  it('by default: authoritative only, the zones on port 1053, apex = the DNS Service, coredns-custom imports', () => {
    const r = render({ release: 'exdns-1', namespace: 'dns', valuesFiles: [sets.get('single')!] });
    expect(r.corefile).toContain('apps.example.com:1053 {');
    expect(r.corefile).toMatch(/^ {4}k8s_gateway apps\.example\.com \{$/m);
    expect(r.corefile).toMatch(/^ {8}resources Ingress Service$/m);
    expect(r.corefile).toMatch(/^ {8}apex exdns-1\.dns$/m);
    expect(r.corefile).toMatch(/^ {8}ttl 300$/m);
    expect(r.corefile).not.toMatch(/forward|fallthrough|secondary|\bloop\b/);
    expect(r.corefile).toMatch(/^ {4}health :8080 \{\n {8}lameduck 5s\n {4}\}$/m);
    expect(r.corefile).toMatch(/^ {4}ready :8181$/m);
    expect(r.corefile).toMatch(/^ {4}prometheus :9153$/m);
    // coredns-custom: overrides inside the block, servers at the top level.
    expect(r.corefile).toMatch(/^ {4}import custom\/\*\.override\n\}\nimport custom\/\*\.server\n$/m);
    // The apex is the DNS Service's <name>.<namespace>: its load-balancer address is the glue.
    const svc = r.find('Service', 'exdns-1');
    expect(`${svc.metadata.name}.${svc.metadata.namespace}`).toBe('exdns-1.dns');
  });

  it('a release not named like the chart gets <release>-exdns, and so does its apex', () => {
    const r = render({ release: 'dns', namespace: 'infra', values: { domain: 'example.com' } });
    expect(r.corefile).toMatch(/^ {8}apex dns-exdns\.infra$/m);
    r.find('Service', 'dns-exdns');
  });

  it('dual: secondary, and apex overridable', () => {
    const r = render({ release: 'exdns-1', namespace: 'dns', valuesFiles: [sets.get('dual')!] });
    expect(r.corefile).toMatch(/^ {8}apex exdns-1\.dns\n {8}secondary exdns-2\.dns$/m);
    const o = render({ release: 'exdns-1', namespace: 'dns', values: { domain: 'example.com', apex: 'ns1', secondary: 'ns2' } });
    expect(o.corefile).toMatch(/^ {8}apex ns1\n {8}secondary ns2$/m);
  });

  it('forward: the server block takes every name, forward and loop follow k8s_gateway', () => {
    const r = render({ release: 'exdns', namespace: 'dns', valuesFiles: [sets.get('forward')!] });
    expect(r.corefile).toContain('.:1053 {');
    expect(r.corefile).toMatch(/^ {8}fallthrough$/m);
    expect(r.corefile).toMatch(/^ {4}forward \. \/etc\/resolv\.conf \{\n {8}max_concurrent 1000\n {4}\}$/m);
    expect(r.corefile).toMatch(/^ {4}loop$/m);
  });

  it('filters, options and every kind (all-kinds)', () => {
    const r = render({ release: 'exdns', namespace: 'dns', valuesFiles: [sets.get('all-kinds')!] });
    expect(r.corefile).toContain('all.example.com:1053 2.0.192.in-addr.arpa:1053 {');
    expect(r.corefile).toMatch(/^ {4}k8s_gateway all\.example\.com 2\.0\.192\.in-addr\.arpa \{$/m);
    expect(r.corefile).toMatch(/^ {8}resources DNSEndpoint Ingress Service HTTPRoute GRPCRoute TLSRoute VirtualService DNSEntry Node$/m);
    expect(r.corefile).toMatch(/^ {8}ingressClasses nginx$/m);
    expect(r.corefile).toMatch(/^ {8}serviceLabelSelectors "dns notin \(off\)" "!legacy"$/m);
    expect(r.corefile).toMatch(/^ {8}nodeAddressType ExternalIP$/m);
    expect(r.corefile).toMatch(/^ {8}hostnameTargets resolve 1m$/m);
    expect(r.corefile).toMatch(/^ {8}ttl 120$/m);
    expect(r.corefile).toMatch(/^ {4}log \. "\{remote\} \{type\} \{name\} \{rcode\}"$/m);
    expect(Object.keys(r.custom).sort()).toEqual(['hosts.override', 'lab.server']);
  });

  it('filters: the top-level keys win over the upstream filters.* keys', () => {
    const r = render({ release: 'exdns', namespace: 'dns', values: { domain: 'example.com', ingressClasses: ['a'], filters: { ingressClasses: ['b'], gatewayClasses: ['c'] } } });
    expect(r.corefile).toMatch(/^ {8}ingressClasses a$/m);
    expect(r.corefile).toMatch(/^ {8}gatewayClasses c$/m);
  });
});

describe('RBAC: list and watch on exactly what watchedResources needs', () => {
  const cases: [string, Record<string, unknown>][] = [
    ...[...sets].map(([name, file]): [string, Record<string, unknown>] => [`ci/${name}`, readValues(file)]),
    ...[['Ingress'], ['Service'], ['Node'], ['HTTPRoute'], ['TLSRoute', 'GRPCRoute'], ['VirtualService'], ['DNSEndpoint'], ['DNSEntry'], ['Service', 'VirtualService']].map(
      (w): [string, Record<string, unknown>] => [w.join('+'), { domain: 'example.com', watchedResources: w }],
    ),
  ];

  it.each(cases)('%s', (_name, values) => {
    const r = render({ release: 'exdns', namespace: 'dns', values });
    const resources = (values.watchedResources as string[] | undefined) ?? ['Ingress', 'Service'];
    const role = r.find('ClusterRole');
    expect(flattenRules(role)).toEqual(expectedRules(resources));
    // Read-only, and never Secrets.
    expect(r.text).not.toMatch(/secrets/);
    for (const rule of flattenRules(role)) expect(rule).toMatch(/:(get,list|list,watch)(:|$)/);
    const binding = r.find('ClusterRoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'exdns', namespace: 'dns' }]);
    expect(podSpec(r).serviceAccountName).toBe('exdns');
  });

  it('cluster-scoped names carry the namespace, so one release name can be used in several namespaces', () => {
    const a = render({ release: 'exdns', namespace: 'a', values: { domain: 'example.com' } });
    const b = render({ release: 'exdns', namespace: 'b', values: { domain: 'example.com' } });
    expect(a.find('ClusterRole').metadata.name).not.toBe(b.find('ClusterRole').metadata.name);
  });

  it('rbac.create=false and serviceAccount.create=false render neither', () => {
    const r = render({ release: 'exdns', namespace: 'dns', values: { domain: 'example.com', rbac: { create: false }, serviceAccount: { create: false, name: 'mine' } } });
    expect(r.all('ClusterRole')).toHaveLength(0);
    expect(r.all('ServiceAccount')).toHaveLength(0);
    expect(podSpec(r).serviceAccountName).toBe('mine');
  });
});

describe('Deployment', () => {
  const r = () => render({ release: 'exdns', namespace: 'dns', valuesFiles: [sets.get('single')!] });

  it('runs exdns -conf /etc/exdns/Corefile from the ConfigMap, coredns-custom beside it', () => {
    const p = podSpec(r());
    const c = p.containers[0]!;
    expect(c.args).toEqual(['-conf', '/etc/exdns/Corefile']);
    expect(c.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'config', mountPath: '/etc/exdns', readOnly: true },
        { name: 'custom', mountPath: '/etc/exdns/custom', readOnly: true },
        { name: 'tmp', mountPath: '/tmp' },
      ]),
    );
    expect(p.volumes.find((v) => v.name === 'custom')?.configMap).toEqual({ name: 'exdns-custom', optional: true });
  });

  it('ports: DNS 1053 UDP and TCP, health 8080, ready 8181, metrics 9153', () => {
    const ports = podSpec(r()).containers[0]!.ports;
    expect(ports).toEqual([
      { name: 'dns-udp', containerPort: 1053, protocol: 'UDP' },
      { name: 'dns-tcp', containerPort: 1053, protocol: 'TCP' },
      { name: 'health', containerPort: 8080, protocol: 'TCP' },
      { name: 'ready', containerPort: 8181, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
    ]);
  });

  it('probes: liveness /health, readiness /ready', () => {
    const c = podSpec(r()).containers[0]!;
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health', port: 'health' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'ready' });
  });

  it('security: non-root, read-only root filesystem, no capabilities, seccomp RuntimeDefault', () => {
    const p = podSpec(r());
    expect(p.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(p.securityContext.runAsUser).toBeGreaterThan(0);
    expect(p.containers[0]!.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it('replicas, spread over nodes, a PodDisruptionBudget, and a config checksum that rolls the Pods', () => {
    const rr = r();
    const d = rr.find('Deployment');
    expect(spec(d).replicas).toBe(2);
    const p = podSpec(rr);
    expect(p.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'exdns', 'app.kubernetes.io/instance': 'exdns' } } },
    ]);
    expect(spec(rr.find('PodDisruptionBudget'))).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'exdns', 'app.kubernetes.io/instance': 'exdns' } } });
    const sum = (x: Rendered) => (spec(x.find('Deployment')).template as { metadata: { annotations: Record<string, string> } }).metadata.annotations['checksum/config'];
    const other = render({ release: 'exdns', namespace: 'dns', values: { domain: 'apps.example.com', ttl: 30 } });
    expect(sum(rr)).toMatch(/^[0-9a-f]{64}$/);
    expect(sum(other)).not.toBe(sum(rr));
  });

  it('all-kinds: replicas, minAvailable, priorityClassName, two spread constraints', () => {
    const rr = render({ release: 'exdns', namespace: 'dns', valuesFiles: [sets.get('all-kinds')!] });
    expect(spec(rr.find('Deployment')).replicas).toBe(3);
    expect(spec(rr.find('PodDisruptionBudget')).minAvailable).toBe(2);
    expect(spec(rr.find('PodDisruptionBudget')).maxUnavailable).toBeUndefined();
    const p = podSpec(rr);
    expect(p.priorityClassName).toBe('system-cluster-critical');
    expect(p.topologySpreadConstraints!.map((t) => t.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    for (const t of p.topologySpreadConstraints!) expect(t.labelSelector.matchLabels['app.kubernetes.io/instance']).toBe('exdns');
  });
});

describe('Services and monitoring', () => {
  it('the DNS Service: LoadBalancer, UDP and TCP 53 to the named container ports, IP, policy, annotations', () => {
    const r = render({ release: 'exdns-1', namespace: 'dns', valuesFiles: [sets.get('dual')!], values: { service: { annotations: { 'example.com/pool': 'dns' } } } });
    const svc = r.find('Service', 'exdns-1');
    expect(svc.metadata.annotations).toEqual({ 'example.com/pool': 'dns' });
    expect(spec(svc)).toMatchObject({
      type: 'LoadBalancer',
      loadBalancerIP: '192.0.2.53',
      externalTrafficPolicy: 'Local',
      ports: [
        { name: 'dns-udp', port: 53, targetPort: 'dns-udp', protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, targetPort: 'dns-tcp', protocol: 'TCP' },
      ],
    });
    // Metrics are not on the public load balancer.
    expect(JSON.stringify(spec(svc).ports)).not.toContain('9153');
  });

  it('ClusterIP (forward): no load-balancer fields; tcp can be turned off', () => {
    const r = render({ release: 'exdns', namespace: 'dns', valuesFiles: [sets.get('forward')!], values: { service: { tcp: false, loadBalancerIP: '192.0.2.1', externalTrafficPolicy: 'Local' } } });
    const s = spec(r.find('Service', 'exdns'));
    expect(s.type).toBe('ClusterIP');
    expect(s.loadBalancerIP).toBeUndefined();
    expect(s.externalTrafficPolicy).toBeUndefined();
    expect(s.ports).toEqual([{ name: 'dns-udp', port: 53, targetPort: 'dns-udp', protocol: 'UDP' }]);
  });

  it('the metrics Service and the ServiceMonitor that selects it (only when enabled)', () => {
    const r = render({ release: 'exdns', namespace: 'dns', valuesFiles: [sets.get('all-kinds')!] });
    const metricsSvc = r.find('Service', 'exdns-metrics');
    expect(spec(metricsSvc)).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'metrics', port: 9153, targetPort: 'metrics', protocol: 'TCP' }] });
    expect(metricsSvc.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9153' });
    const sm = r.find('ServiceMonitor');
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.metadata.labels).toMatchObject({ release: 'prometheus' });
    const sel = (spec(sm).selector as { matchLabels: Record<string, string> }).matchLabels;
    expect(metricsSvc.metadata.labels).toMatchObject(sel);
    // ...and not the DNS Service.
    expect(r.find('Service', 'exdns').metadata.labels).not.toMatchObject(sel);
    expect(spec(sm).endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    expect(render({ release: 'exdns', namespace: 'dns', valuesFiles: [sets.get('single')!] }).all('ServiceMonitor')).toHaveLength(0);
    const off = render({ release: 'exdns', namespace: 'dns', values: { domain: 'example.com', metrics: { enabled: false } } });
    expect(off.all('Service').map((s) => s.metadata.name)).toEqual(['exdns']);
    expect(off.corefile).not.toContain('prometheus');
    expect(podSpec(off).containers[0]!.ports.map((p) => p.name)).not.toContain('metrics');
  });
});

describe("README's Deployment section", () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Deployment\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  /** Bodies of the fenced code blocks whose info string is `lang` ('' for none). */
  const blocks = (lang: string): string[] => {
    const out: string[] = [];
    let open: { lang: string; body: string[] } | undefined;
    for (const line of section.split('\n')) {
      const fence = /^```(\S*)\s*$/.exec(line);
      if (fence && open === undefined) open = { lang: fence[1]!, body: [] };
      else if (fence && open !== undefined) {
        if (open.lang === lang) out.push(`${open.body.join('\n')}\n`);
        open = undefined;
      } else open?.body.push(line);
    }
    return out;
  };
  /** `helm install RELEASE CHART ARGS...` lines (continuations joined) as `helm template` arguments. */
  const installs = blocks('sh')
    .flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n'))
    .filter((l) => l.startsWith('helm install '))
    .map((l) => {
      const [, , release, chart, ...rest] = l.trim().split(/\s+/);
      const args = rest.filter((a) => a !== '--create-namespace');
      return { release: release!, args: ['template', release!, path.join(root, chart!), ...args] };
    });
  const corefileOf = (args: string[]) => {
    const cm = parseYaml(helm(args)).find((o) => o.kind === 'ConfigMap')!;
    return (cm.data as Record<string, string>).Corefile!;
  };
  const withoutComments = (c: string) => c.split('\n').filter((l) => !l.startsWith('#')).join('\n').trim();

  it('has the install commands (one release, then the two of the dual deployment)', () => {
    expect(start).toBeGreaterThan(0);
    expect(installs.map((i) => i.release)).toEqual(['exdns', 'exdns-1', 'exdns-2']);
  });

  it('shows the Corefile its first command generates', () => {
    const shown = blocks('').find((b) => b.includes('k8s_gateway'));
    expect(shown).toBeDefined();
    expect(withoutComments(corefileOf(installs[0]!.args))).toBe(shown!.trim());
  });

  it('every command renders a Corefile that passes exdns validate', () => {
    for (const i of installs) {
      const dir = path.join(tmp, `readme-${i.release}`);
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, 'Corefile');
      writeFileSync(file, corefileOf(i.args));
      const v = spawnSync(process.execPath, [cli, 'validate', '-conf', file], { cwd: root, encoding: 'utf8' });
      expect(v.status, `${v.stdout}${v.stderr}`).toBe(0);
    }
  });

  it('the delegation records match the releases: NS = apex of each, glue = its loadBalancerIP', () => {
    const records = blocks('').find((b) => /\sNS\s/.test(b))!;
    const want: string[] = [];
    for (const i of installs.slice(1)) {
      const corefile = corefileOf(i.args);
      const apex = /^\s*apex (\S+)$/m.exec(corefile)![1]!;
      const secondary = /^\s*secondary (\S+)$/m.exec(corefile)![1]!;
      const ip = i.args.find((a) => a.startsWith('service.loadBalancerIP='))!.split('=')[1]!;
      expect(installs.map((x) => `${x.release}.dns`)).toContain(secondary);
      want.push(`example.com. NS ${apex}.example.com.`, `${apex}.example.com. A ${ip}`);
    }
    const got = records.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    expect(got.sort()).toEqual(want.sort());
  });
});
