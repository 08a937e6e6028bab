/** Search-path rewrite rules as the field writes them, verbatim, for the tests. */
import { fileURLToPath } from 'node:url';

/** Gardener's generated rules for cluster.local and the common suffix example.com (coredns.md §3.2). */
export const GARDENER = `rewrite stop {
  name regex (^(?:[^\\.]+\\.)+)svc\\.cluster\\.local\\.svc\\.cluster\\.local {1}svc.cluster.local
  answer name (^(?:[^\\.]+\\.)+)svc\\.cluster\\.local {1}svc.cluster.local.svc.cluster.local
  answer value (^(?:[^\\.]+\\.)+)svc\\.cluster\\.local {1}svc.cluster.local.svc.cluster.local
}
rewrite stop {
  name regex (.*)\\.example\\.com\\.svc\\.cluster\\.local {1}.example.com
  answer name (.*)\\.example\\.com {1}.example.com.svc.cluster.local
  answer value (.*)\\.example\\.com {1}.example.com.svc.cluster.local
}
`;

/** AKS's coredns-custom rewrite example (coredns.md §3.3), `<domain>` placeholder included. */
export const AKS = `rewrite stop {
    name regex (.*)\\.<domain>\\.com {1}.default.svc.cluster.local
    answer name (.*)\\.default\\.svc\\.cluster\\.local {1}.<domain>.com
  }
`;

/** AKS's example with `<domain>` filled in: example.com. */
export const AKS_EXAMPLE = AKS.replaceAll('<domain>', 'example');

/** k8s_gateway serving testdata/cluster.yaml for the zones the search-path rules rewrite to. */
export function clusterGateway(): string {
  const manifests = fileURLToPath(new URL('./cluster.yaml', import.meta.url));
  return `k8s_gateway cluster.local example.com {
    manifests ${manifests}
    resources DNSEndpoint
}`;
}
