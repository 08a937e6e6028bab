/** The helpers must stay importable from a plain `.mjs` benchmark script, without a build. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('loads under Node type stripping (no build, no loader)', async () => {
  const files = ['authoritative.ts', 'fake.ts'].map((f) => fileURLToPath(new URL(`./${f}`, import.meta.url)));
  const script = `
    const a = await import(${JSON.stringify(files[0])});
    const f = await import(${JSON.stringify(files[1])});
    const up = await f.startFakeUpstream();
    console.log(typeof a.startAuthoritative, typeof a.findNsd, typeof f.reply, up.port > 0);
    await up.stop();
  `;
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
  expect(out.trim()).toBe('function function function true');
});
