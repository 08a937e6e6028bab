/** The process-wide metrics registry every plugin registers into (CoreDNS's single default registry). */
import { Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });
