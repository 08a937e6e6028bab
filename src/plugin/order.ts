/**
 * The fixed plugin order: CoreDNS 1.14.7's plugin.cfg (rewrite before cache), with k8s_gateway
 * in the slot of kubernetes. The first name is the outermost plugin of the chain; Corefile order
 * never changes it. Names here that exdns does not implement are simply never registered.
 */
export const PLUGIN_ORDER: readonly string[] = [
  'root', 'metadata', 'geoip', 'cancel', 'tls', 'quic', 'timeouts', 'multisocket', 'reload', 'nsid',
  'bufsize', 'bind', 'debug', 'trace', 'ready', 'health', 'pprof', 'prometheus', 'errors', 'log',
  'dnstap', 'local', 'dns64', 'any', 'chaos', 'loadbalance', 'tsig', 'rewrite', 'autopath', 'acl',
  'cache', 'header', 'dnssec', 'minimal', 'template', 'transfer', 'hosts', 'route53', 'azure',
  'clouddns', 'k8s_external', 'k8s_gateway', 'file', 'auto', 'secondary', 'etcd', 'loop', 'forward',
  'grpc', 'erratic', 'whoami', 'on', 'sign', 'view', 'nomad',
];
