/**
 * `k8s_gateway [ZONES...] { ... }`: the Corefile syntax of upstream k8s-gateway/k8s_gateway
 * (setup.go), same option names, arguments, defaults and error texts, plus exdns's own options
 * (`manifests`, `hostnameTargets`, `gardenerClass`).
 */
import type { Dispenser } from '../../src/corefile/dispenser.js';
import { normalizeHostExact } from '../../src/corefile/address.js';
import { parseDuration } from '../../src/plugin/duration.js';
import { Fallthrough } from '../../src/plugin/fallthrough.js';
import { LabelSelectorError, parseSelector, selectorString } from './labels.js';
import { normalizeHostname } from './names.js';
import { RESOURCE_KINDS, type ResourceKind } from './types.js';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { GatewayInstance } from './instance.js';

export interface Config {
  /** Lowercase FQDNs: the plugin arguments normalised (scheme and port dropped), else the block zones. */
  zones: string[];
  /** In the given order, which is the lookup precedence. Default `Ingress Service`. */
  resources: ResourceKind[];
  /** undefined: every class. */
  ingressClasses?: string[];
  /** undefined: every class. */
  gatewayClasses?: string[];
  /** Normalised selector strings (client-go form); [] selects every Service. */
  serviceLabelSelectors: string[];
  nodeAddressType: 'InternalIP' | 'ExternalIP';
  /** TTL of the records built from objects, 0..3600. */
  ttl: number;
  /** Relative name of this nameserver: lowercase, no trailing dot. */
  apex: string;
  /** Relative name of a peer nameserver (a second NS record). */
  secondary?: string;
  kubeconfig?: { path: string; context?: string };
  fallthrough: Fallthrough;
  /** Files or folders of YAML/JSON objects served instead of a Kubernetes API. */
  manifests?: string[];
  /** How a load-balancer hostname is served: a CNAME, or A/AAAA resolved every `resolveInterval`. */
  hostnameTargets: 'cname' | 'resolve';
  /** Milliseconds between re-resolutions with `hostnameTargets resolve`. */
  resolveInterval: number;
  /** The `dns.gardener.cloud/class` value this server honours for DNSEntry objects. */
  gardenerClass: string;
}

const DEFAULT_RESOURCES: readonly ResourceKind[] = ['Ingress', 'Service'];
const DEFAULT_TTL = 60;
const DEFAULT_APEX = 'dns1.kube-system';
const DEFAULT_RESOLVE_INTERVAL = 30_000;
const DEFAULT_GARDENER_CLASS = 'garden';
const MIN_RESOLVE_INTERVAL = 1_000;
const MAX_TTL = 3600;

const KINDS: ReadonlySet<string> = new Set(RESOURCE_KINDS);

/** `resources` names: known kinds in order (first occurrence kept), unknown ones reported. */
function resourceKinds(args: readonly string[], warn: (msg: string) => void): ResourceKind[] {
  const out: ResourceKind[] = [];
  for (const a of args) {
    if (KINDS.has(a)) {
      const kind = a as ResourceKind;
      if (!out.includes(kind)) out.push(kind);
      continue;
    }
    const hint = RESOURCE_KINDS.find((k) => k.toLowerCase() === a.toLowerCase());
    warn(
      `Unknown resource '${a}' ignored` +
        (hint !== undefined ? ` (did you mean '${hint}'?)` : `; known resources: ${RESOURCE_KINDS.join(', ')}`),
    );
  }
  return out;
}

/** Go's strconv.Atoi for the ttl argument; undefined when it is not an integer. */
function atoi(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Parses the `k8s_gateway` directive of one server block. `blockZones` are the block's zones
 * (lowercase FQDNs), used when the directive names none; `warn` receives non-fatal problems.
 * Throws CorefileError (FILE:LINE - Error during parsing: ...).
 */
export function parse(c: Dispenser, blockZones: readonly string[], warn: (msg: string) => void): Config {
  let zones: string[] = [...blockZones];
  let resources: ResourceKind[] | undefined;
  let ingressClasses: string[] | undefined;
  let gatewayClasses: string[] | undefined;
  const serviceLabelSelectors: string[] = [];
  let nodeAddressType: Config['nodeAddressType'] = 'InternalIP';
  let ttl = DEFAULT_TTL;
  let apex = DEFAULT_APEX;
  let secondary: string | undefined;
  let kubeconfig: Config['kubeconfig'];
  let fallthrough = Fallthrough.none();
  let manifests: string[] | undefined;
  let hostnameTargets: Config['hostnameTargets'] = 'cname';
  let resolveInterval = DEFAULT_RESOLVE_INTERVAL;
  let gardenerClass = DEFAULT_GARDENER_CLASS;

  /** A warning about the current line. */
  const warnAt = (msg: string): void => warn(`${c.file()}:${c.line()} - ${msg}`);

  /** Upstream reads only the first `max` arguments of some options; extra ones are accepted with a warning. */
  const extraArgs = (option: string, args: readonly string[], max: number): void => {
    if (args.length > max) warnAt(`${option}: ignoring extra arguments ${args.slice(max).map((a) => JSON.stringify(a)).join(' ')}`);
  };

  /** A relative nameserver name (apex, secondary): valid hostname labels, lowercased, no trailing dot. */
  const relativeName = (option: string, raw: string): string => {
    if (raw.endsWith('.')) {
      throw c.err(`${option} must be a name relative to the zone, without a trailing dot: ${JSON.stringify(raw)}`);
    }
    const r = normalizeHostname(raw);
    if (!r.ok) throw c.err(`invalid ${option} ${JSON.stringify(raw)}: ${r.error}`);
    return r.name;
  };

  while (c.next()) {
    const args = c.remainingArgs();
    if (args.length > 0) {
      zones = [];
      for (const a of args) {
        const hosts = normalizeHostExact(a);
        if (hosts.length === 0) throw c.err(`invalid zone ${JSON.stringify(a)}`);
        for (const h of hosts) if (!zones.includes(h)) zones.push(h);
      }
    }

    while (c.nextBlock()) {
      const option = c.val();
      switch (option) {
        case 'fallthrough':
          fallthrough = Fallthrough.parse(c);
          break;

        case 'resources': {
          const a = c.remainingArgs();
          if (a.length === 0) throw c.err("Incorrectly formatted 'resource' parameter");
          resources = resourceKinds(a, warnAt);
          if (resources.length === 0) warnAt('resources: no known resource given, nothing will be served');
          break;
        }

        case 'ingressClasses':
        case 'gatewayClasses': {
          const a = c.remainingArgs();
          if (a.length === 0) throw c.argErr();
          if (option === 'ingressClasses') ingressClasses = a;
          else gatewayClasses = a;
          break;
        }

        case 'serviceLabelSelectors': {
          const a = c.remainingArgs();
          if (a.length === 0) throw c.err('serviceLabelSelectors requires at least one argument');
          for (const s of a) {
            if (s === '') throw c.err('serviceLabelSelectors does not accept empty strings');
            let normal: string;
            try {
              normal = selectorString(parseSelector(s));
            } catch (e) {
              if (!(e instanceof LabelSelectorError)) throw e;
              throw c.err(`invalid serviceLabelSelectors ${JSON.stringify(s)}: ${e.message}`);
            }
            if (!serviceLabelSelectors.includes(normal)) serviceLabelSelectors.push(normal);
          }
          break;
        }

        case 'nodeAddressType': {
          const a = c.remainingArgs();
          if (a.length !== 1) throw c.argErr();
          if (a[0] !== 'InternalIP' && a[0] !== 'ExternalIP') {
            throw c.err(`nodeAddressType must be InternalIP or ExternalIP, got ${JSON.stringify(a[0])}`);
          }
          nodeAddressType = a[0];
          break;
        }

        case 'ttl': {
          const a = c.remainingArgs();
          if (a.length === 0) throw c.argErr();
          extraArgs('ttl', a, 1);
          const t = atoi(a[0]!);
          if (t === undefined) throw c.err(`ttl must be an integer in range [0, ${MAX_TTL}]: ${JSON.stringify(a[0])}`);
          if (t < 0 || t > MAX_TTL) throw c.err(`ttl must be in range [0, ${MAX_TTL}]: ${t}`);
          ttl = t;
          break;
        }

        case 'apex':
        case 'secondary': {
          const a = c.remainingArgs();
          if (a.length === 0) throw c.argErr();
          extraArgs(option, a, 1);
          const name = relativeName(option, a[0]!);
          if (option === 'apex') apex = name;
          else secondary = name;
          break;
        }

        case 'kubeconfig': {
          const a = c.remainingArgs();
          if (a.length === 0) throw c.argErr();
          extraArgs('kubeconfig', a, 2);
          if (a[0] === '') throw c.err('kubeconfig path must not be empty');
          if (manifests !== undefined) throw c.err('kubeconfig cannot be combined with manifests: objects come either from files or from a cluster');
          kubeconfig = a.length >= 2 && a[1] !== '' ? { path: a[0]!, context: a[1]! } : { path: a[0]! };
          break;
        }

        case 'manifests': {
          const a = c.remainingArgs();
          if (a.length === 0) throw c.argErr();
          if (a.includes('')) throw c.err('manifests does not accept empty paths');
          if (kubeconfig !== undefined) throw c.err('manifests cannot be combined with kubeconfig: objects come either from files or from a cluster');
          manifests = [...(manifests ?? []), ...a.filter((p) => !(manifests ?? []).includes(p))];
          break;
        }

        case 'hostnameTargets': {
          const a = c.remainingArgs();
          if (a.length === 0 || a.length > 2) throw c.argErr();
          if (a[0] !== 'cname' && a[0] !== 'resolve') {
            throw c.err(`hostnameTargets must be cname or resolve, got ${JSON.stringify(a[0])}`);
          }
          hostnameTargets = a[0];
          resolveInterval = DEFAULT_RESOLVE_INTERVAL;
          if (a.length === 2) {
            if (hostnameTargets !== 'resolve') throw c.err(`hostnameTargets cname takes no interval, got ${JSON.stringify(a[1])}`);
            let ms: number;
            try {
              ms = parseDuration(a[1]!);
            } catch (e) {
              throw c.err(`invalid hostnameTargets interval ${JSON.stringify(a[1])}: ${(e as Error).message}`);
            }
            if (ms < MIN_RESOLVE_INTERVAL) throw c.err(`hostnameTargets interval must be at least 1s, got ${JSON.stringify(a[1])}`);
            resolveInterval = ms;
          }
          break;
        }

        case 'gardenerClass': {
          const a = c.remainingArgs();
          if (a.length !== 1) throw c.argErr();
          if (a[0] === '') throw c.err('gardenerClass does not accept an empty string');
          gardenerClass = a[0]!;
          break;
        }

        default:
          throw c.err(`Unknown property '${option}'`);
      }
    }
  }

  if (resources === undefined) {
    warn('No resources specified in config. Using defaults');
    resources = [...DEFAULT_RESOURCES];
  }
  if (secondary !== undefined && secondary === apex) warn(`secondary ${JSON.stringify(secondary)} is the same name as apex`);

  const config: Config = {
    zones,
    resources,
    serviceLabelSelectors,
    nodeAddressType,
    ttl,
    apex,
    fallthrough,
    hostnameTargets,
    resolveInterval,
    gardenerClass,
  };
  if (ingressClasses !== undefined) config.ingressClasses = ingressClasses;
  if (gatewayClasses !== undefined) config.gatewayClasses = gatewayClasses;
  if (secondary !== undefined) config.secondary = secondary;
  if (kubeconfig !== undefined) config.kubeconfig = kubeconfig;
  if (manifests !== undefined) config.manifests = manifests;
  return config;
}

export const plugin: PluginDefinition = {
  name: 'k8s_gateway',
  once: true,
  setup(c, ctx) {
    const log = ctx.env.logger('k8s_gateway');
    const config = parse(c, ctx.block.zones, (m) => log.warning(m));
    return new GatewayInstance(config, log);
  },
};
