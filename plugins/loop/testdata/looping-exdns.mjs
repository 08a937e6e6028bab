// The built exdns (dist/) with one test-only plugin, `relaytest`, placed just before whoami: it
// sends every query back to the port it came in on and answers with what comes back, as
// `forward . 127.0.0.1` does on a server that is its own upstream. Arguments are exdns's own.
// Plain JavaScript on purpose: the tsc build ships plugins/ in dist/, and this must not ship.
import dgram from 'node:dgram';
import { buildProgram, normalizeArgs } from '../../../dist/src/cli.js';
import { plugins } from '../../../dist/plugins/index.js';
import { PLUGIN_ORDER } from '../../../dist/src/plugin/order.js';
import { nextOrFailure } from '../../../dist/src/plugin/plugin.js';
import { PluginRegistry } from '../../../dist/src/plugin/registry.js';
import { decodeMessage } from '../../../dist/src/wire/message.js';

/** @param {Buffer} query @param {number} port @returns {Promise<Buffer | undefined>} */
function exchange(query, port) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const finish = (/** @type {Buffer | undefined} */ reply) => {
      clearTimeout(timer);
      s.close();
      resolve(reply);
    };
    const timer = setTimeout(() => finish(undefined), 3000);
    s.on('message', (m) => finish(m));
    s.on('error', () => finish(undefined));
    s.send(query, port, '127.0.0.1');
  });
}

const relaytest = {
  name: 'relaytest',
  /** @param {{ noArgs(): void }} c */
  setup(c) {
    c.noArgs();
    return {
      handler: (next) => ({
        name: 'relaytest',
        async serveDNS(req, w) {
          const reply = await exchange(req.query.raw, req.client.localPort);
          if (reply === undefined) return nextOrFailure('relaytest', next, req, w);
          w.write(decodeMessage(reply));
          return reply.readUInt16BE(2) & 0xf;
        },
      }),
    };
  },
};

const order = [...PLUGIN_ORDER];
order.splice(order.indexOf('whoami'), 0, relaytest.name);
await buildProgram(new PluginRegistry([...plugins, relaytest], order)).parseAsync(normalizeArgs(process.argv.slice(2)), { from: 'user' });
