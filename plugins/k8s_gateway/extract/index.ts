/** Which extractor reads which object kind; joined-only kinds (Gateway, EndpointSlice) have none. */
import type { Extractor, ObjectKind } from '../types.js';
import { extractDNSEndpoint } from './dnsendpoint.js';
import { extractDNSEntry } from './dnsentry.js';
import { extractGRPCRoute, extractHTTPRoute, extractTLSRoute } from './gatewayapi.js';
import { extractIngress } from './ingress.js';
import { extractIstioGateway, extractVirtualService } from './istio.js';
import { extractNode } from './node.js';
import { extractService } from './service.js';

const EXTRACTORS: Partial<Record<ObjectKind, Extractor>> = {
  Ingress: extractIngress,
  Service: extractService,
  HTTPRoute: extractHTTPRoute,
  GRPCRoute: extractGRPCRoute,
  TLSRoute: extractTLSRoute,
  VirtualService: extractVirtualService,
  IstioGateway: extractIstioGateway,
  DNSEndpoint: extractDNSEndpoint,
  DNSEntry: extractDNSEntry,
  Node: extractNode,
};

export function extractorFor(kind: ObjectKind): Extractor | undefined {
  return EXTRACTORS[kind];
}
