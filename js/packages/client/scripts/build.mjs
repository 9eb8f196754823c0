// Builds dist/rollcall.js (minified ES module, what the server serves at /rollcall.js) and checks
// the size budget: at most 5 KB minified and gzipped.
import { build } from 'esbuild';
import { copyFileSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 5 * 1024;
const out = new URL('../dist/', import.meta.url);

await build({
  entryPoints: [new URL('../src/rollcall.js', import.meta.url).pathname],
  outfile: new URL('rollcall.js', out).pathname,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
});
copyFileSync(new URL('../src/rollcall.d.ts', import.meta.url), new URL('rollcall.d.ts', out));

const code = readFileSync(new URL('rollcall.js', out));
const gzipped = gzipSync(code, { level: 9 }).length;
console.log(`dist/rollcall.js: ${code.length} bytes minified, ${gzipped} bytes gzipped (budget ${BUDGET_BYTES})`);
if (gzipped > BUDGET_BYTES) {
  console.error('over the size budget');
  process.exit(1);
}
