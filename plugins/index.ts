/** Every plugin exdns ships, registered by directive name; their chain order is src/plugin/order.ts. */
import type { PluginDefinition } from '../src/plugin/plugin.js';
import { plugin as any } from './any/setup.js';
import { plugin as bind } from './bind/setup.js';
import { plugin as cache } from './cache/setup.js';
import { plugin as errors } from './errors/setup.js';
import { plugin as forward } from './forward/setup.js';
import { plugin as health } from './health/setup.js';
import { plugin as hosts } from './hosts/setup.js';
import { plugin as k8s_gateway } from './k8s_gateway/setup.js';
import { plugin as loadbalance } from './loadbalance/setup.js';
import { plugin as log } from './log/setup.js';
import { plugin as loop } from './loop/setup.js';
import { plugin as prometheus } from './prometheus/setup.js';
import { plugin as ready } from './ready/setup.js';
import { plugin as reload } from './reload/setup.js';
import { plugin as rewrite } from './rewrite/setup.js';
import { plugin as whoami } from './whoami/setup.js';

export const plugins: readonly PluginDefinition[] = [any, bind, cache, errors, forward, health, hosts, k8s_gateway, loadbalance, log, loop, prometheus, ready, reload, rewrite, whoami];
