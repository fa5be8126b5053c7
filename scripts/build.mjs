// Bundles the CLI (and later the action entries) into dist/, deterministically, so a test
// can rebuild and compare with what is committed. Also writes the manifest's JSON Schema.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

const entries = { cli: 'src/cli.ts' };

await build({
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  // ssh2's optional native add-ons: it falls back to pure JS when they are absent.
  external: ['cpu-features', '*.node'],
  // CommonJS dependencies (dockerode and its modem) call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __scCreateRequire } from 'node:module'; const require = __scCreateRequire(import.meta.url);",
  },
});

mkdirSync('schema', { recursive: true });
const schema = execFileSync(process.execPath, ['dist/cli.js', 'schema'], { encoding: 'utf8' });
writeFileSync('schema/stackcheck.schema.json', schema);
