/**
 * The Helm chart in charts/exdns, rendered with the helm that scripts/helm.mjs builds from the Go
 * module proxy: value sets, rendering to objects, the Corefile inside, and the ClusterRole rules
 * each set of `watchedResources` must get. Shared by test/e2e-kube/deploy-*.test.ts.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import { ensureHelm, helm } from '../../scripts/helm.mjs';
import { kindsFor as deliveredKinds } from '../../plugins/k8s_gateway/sources/classify.js';
import { root } from '../exdns-process.js';
import { parseYaml, type KubeObject } from '../testbed/client.js';

export const chartDir = path.join(root, 'charts', 'exdns');
export const ciValuesDir = path.join(chartDir, 'ci');

export { ensureHelm, helm };

/** The chart-testing value sets (charts/exdns/ci/NAME-values.yaml): name -> file. */
export function valueSets(): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(ciValuesDir).sort()) {
    const m = /^(.*)-values\.yaml$/.exec(f);
    if (m) out.set(m[1]!, path.join(ciValuesDir, f));
  }
  return out;
}

export function readValues(file: string): Record<string, unknown> {
  return (load(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
}

export interface Rendered {
  readonly release: string;
  readonly namespace: string;
  readonly text: string;
  readonly objects: KubeObject[];
  /** data.Corefile of the release's ConfigMap. */
  readonly corefile: string;
  /** data of the customConfig ConfigMap, when the chart creates one. */
  readonly custom: Record<string, string>;
  find(kind: string, name?: string): KubeObject;
  all(kind: string): KubeObject[];
}

export interface RenderOptions {
  release: string;
  namespace: string;
  /** Values files, in order (later ones win). */
  valuesFiles?: readonly string[];
  /** Values given as an object, applied after the files (a temporary JSON values file). */
  values?: Record<string, unknown>;
  /** helm --skip-schema-validation: only the templates' own checks. */
  skipSchemaValidation?: boolean;
}

/** `helm template` the chart; throws with helm's message when rendering fails. */
export function render(opts: RenderOptions): Rendered {
  const args = ['template', opts.release, chartDir, '--namespace', opts.namespace];
  for (const f of opts.valuesFiles ?? []) args.push('-f', f);
  if (opts.skipSchemaValidation) args.push('--skip-schema-validation');
  let dir: string | undefined;
  if (opts.values) {
    dir = mkdtempSync(path.join(tmpdir(), 'exdns-chart-'));
    const file = path.join(dir, 'values.json');
    writeFileSync(file, JSON.stringify(opts.values));
    args.push('-f', file);
  }
  let text: string;
  try {
    text = helm(args);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  const objects = parseYaml(text);
  const all = (kind: string) => objects.filter((o) => o.kind === kind);
  const find = (kind: string, name?: string): KubeObject => {
    const hit = all(kind).find((o) => name === undefined || o.metadata.name === name);
    if (!hit) throw new Error(`no ${kind}${name ? ` ${name}` : ''} in the rendered chart (${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`);
    return hit;
  };
  const configMaps = all('ConfigMap');
  const main = configMaps.find((c) => typeof (c.data as Record<string, unknown> | undefined)?.Corefile === 'string');
  if (!main) throw new Error('the rendered chart has no ConfigMap with a Corefile');
  const customCm = configMaps.find((c) => c !== main);
  return {
    release: opts.release,
    namespace: opts.namespace,
    text,
    objects,
    corefile: (main.data as Record<string, string>).Corefile!,
    custom: (customCm?.data as Record<string, string> | undefined) ?? {},
    find,
    all,
  };
}

/**
 * Writes the Corefile as the Pod sees it: `dir/Corefile` and the customConfig keys in
 * `dir/custom/` (the ConfigMap mounts of the Deployment). Returns the Corefile's path.
 */
export function writeConfig(r: Rendered, dir: string, corefile = r.corefile): string {
  mkdirSync(path.join(dir, 'custom'), { recursive: true });
  const file = path.join(dir, 'Corefile');
  writeFileSync(file, corefile);
  for (const [k, v] of Object.entries(r.custom)) writeFileSync(path.join(dir, 'custom', k), v);
  return file;
}

/** The Corefile with `kubeconfig PATH` added to the k8s_gateway block (exdns out of the cluster). */
export function withKubeconfig(corefile: string, kubeconfig: string): string {
  const re = /^(\s*)k8s_gateway\b[^{\n]*\{[ \t]*$/m;
  const m = re.exec(corefile);
  if (!m) throw new Error(`no k8s_gateway block in\n${corefile}`);
  const at = m.index + m[0].length;
  return `${corefile.slice(0, at)}\n${m[1]}    kubeconfig ${kubeconfig}${corefile.slice(at)}`;
}

// ---------------------------------------------------------------------------------------------
// What the ClusterRole must say, written from plugins/k8s_gateway/README.md ("Kubernetes API")
// and the kinds sources/classify.ts delivers, independently of the template.

export const RESOURCE_KINDS = ['Ingress', 'Service', 'HTTPRoute', 'TLSRoute', 'GRPCRoute', 'VirtualService', 'DNSEndpoint', 'DNSEntry', 'Node'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** An API collection: group ('' for core) and plural. */
export interface Collection {
  group: string;
  version: string;
  plural: string;
}

/** Every collection exdns could read, by the object kind exdns calls it. */
export const COLLECTIONS = {
  Ingress: { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses' },
  Service: { group: '', version: 'v1', plural: 'services' },
  EndpointSlice: { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' },
  Node: { group: '', version: 'v1', plural: 'nodes' },
  Gateway: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways' },
  HTTPRoute: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' },
  GRPCRoute: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'grpcroutes' },
  TLSRoute: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'tlsroutes' },
  IstioGateway: { group: 'networking.istio.io', version: 'v1', plural: 'gateways' },
  VirtualService: { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices' },
  DNSEndpoint: { group: 'externaldns.k8s.io', version: 'v1alpha1', plural: 'dnsendpoints' },
  DNSEntry: { group: 'dns.gardener.cloud', version: 'v1alpha1', plural: 'dnsentries' },
} as const satisfies Record<string, Collection>;
export type ObjectKind = keyof typeof COLLECTIONS;

/** Collections nobody ever grants exdns: listing them must always be forbidden. */
export const NEVER: readonly Collection[] = [
  { group: '', version: 'v1', plural: 'secrets' },
  { group: '', version: 'v1', plural: 'configmaps' },
  { group: '', version: 'v1', plural: 'pods' },
  { group: '', version: 'v1', plural: 'namespaces' },
  { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gatewayclasses' },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses' },
  { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' },
];

const CRD_BACKED: ReadonlySet<ObjectKind> = new Set(['Gateway', 'HTTPRoute', 'GRPCRoute', 'TLSRoute', 'IstioGateway', 'VirtualService', 'DNSEndpoint', 'DNSEntry']);

/**
 * The object kinds a `watchedResources` list makes exdns read, from exdns's own table
 * (sources/classify.ts): the chart must grant what the source will list, no more.
 */
export function kindsFor(resources: readonly string[]): Set<ObjectKind> {
  return new Set(deliveredKinds(resources.filter((r): r is ResourceKind => (RESOURCE_KINDS as readonly string[]).includes(r))));
}

/** Expected rules, flattened to "group/resource:verbs[:resourceNames]" strings, sorted. */
export function expectedRules(resources: readonly string[]): string[] {
  const kinds = kindsFor(resources);
  const out = [...kinds].map((k) => `${COLLECTIONS[k].group}/${COLLECTIONS[k].plural}:list,watch`);
  const crds = [...kinds].filter((k) => CRD_BACKED.has(k)).map((k) => `${COLLECTIONS[k].plural}.${COLLECTIONS[k].group}`);
  if (crds.length > 0) out.push(`apiextensions.k8s.io/customresourcedefinitions:get,list:${crds.sort().join(',')}`);
  return out.sort();
}

/** A rendered ClusterRole's rules in the same flattened form. */
export function flattenRules(role: KubeObject): string[] {
  const rules = (role.rules ?? []) as { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }[];
  const out: string[] = [];
  for (const r of rules) {
    if (r.nonResourceURLs) out.push(`nonResource:${r.nonResourceURLs.join(',')}`);
    for (const g of r.apiGroups ?? []) {
      for (const res of r.resources ?? []) {
        const names = r.resourceNames ? `:${[...r.resourceNames].sort().join(',')}` : '';
        out.push(`${g}/${res}:${[...(r.verbs ?? [])].sort().join(',')}${names}`);
      }
    }
  }
  return out.sort();
}

/** The CRD names a set of kinds reads (GET customresourcedefinitions/NAME). */
export function crdNames(kinds: Iterable<ObjectKind>): string[] {
  return [...kinds].filter((k) => CRD_BACKED.has(k)).map((k) => `${COLLECTIONS[k].plural}.${COLLECTIONS[k].group}`);
}
