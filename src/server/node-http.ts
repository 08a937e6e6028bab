/**
 * `node:http`, loaded with require. An ESM import of node:http builds its module namespace, and
 * that evaluates the lazy `WebSocket`, `CloseEvent` and `MessageEvent` getters, which load Node's
 * bundled undici: about 12 MB of resident memory for code exdns never runs. Import the value from
 * here and the types with `import type`.
 */
import { createRequire } from 'node:module';
import type * as Http from 'node:http';

export const nodeHttp: typeof Http = createRequire(import.meta.url)('node:http');
