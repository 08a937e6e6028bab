/**
 * Brings the testbed up once for the whole e2e-kube run (building kube-apiserver and etcd on the
 * very first run), and takes it down afterwards only if this run started it: a testbed a
 * developer started with `npm run testbed -- up` stays up for the next run.
 */
import * as script from '../../scripts/testbed.mjs';

export default async function setup(): Promise<() => Promise<void>> {
  const before = await script.status();
  await script.up({ crds: 'all' });
  return async () => {
    if (!before.running) await script.down();
  };
}
