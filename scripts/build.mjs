// Bundles the CLI and the action's two entries (index: main step, post: post step) into dist/,
// deterministically, so a test can rebuild and compare with what is committed. Also writes the
// manifest's JSON Schema.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// `node scripts/build.mjs [ROOT]` writes ROOT/dist and ROOT/schema (default: this checkout),
// so the freshness test can build elsewhere and compare.
const root = process.argv[2] ?? '.';
const entries = { cli: 'src/cli.ts', index: 'src/action/index.ts', post: 'src/action/post.ts' };

await build({
  entryPoints: entries,
  outdir: join(root, 'dist'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  // ssh2's optional native add-ons: it falls back to pure JS when they are absent.
  external: ['cpu-features', '*.node'],
  // CommonJS dependencies (dockerode, its modem, ssh2) use require(), __dirname and __filename.
  banner: {
    js: [
      "import { createRequire as __scRequire } from 'node:module';",
      "import { fileURLToPath as __scPath } from 'node:url';",
      "import { dirname as __scDir } from 'node:path';",
      'const require = __scRequire(import.meta.url);',
      'const __filename = __scPath(import.meta.url);',
      'const __dirname = __scDir(__filename);',
    ].join(' '),
  },
});

mkdirSync(join(root, 'schema'), { recursive: true });
const schema = execFileSync(process.execPath, [join(root, 'dist/cli.js'), 'schema'], {
  encoding: 'utf8',
});
writeFileSync(join(root, 'schema/stackcheck.schema.json'), schema);
