// Bundles the CLI and the action's two entries (index: main step, post: post step) into dist/,
// deterministically, so a test can rebuild and compare with what is committed. Also writes the
// manifest's JSON Schema.
//
// What a run rarely needs stays out of the entries, so that every job (and again every post
// step) does not load it: ssh2 (ssh:// engines only) and dockerode's BuildKit session and
// protobufs (gRPC, protobufjs: stackcheck starts no BuildKit build) are separate CommonJS files
// required on first use; octokit (PR comments) and @actions/core's OIDC client (never used)
// are chunks loaded by dynamic import; zod's locales other than English are left out.
// `node scripts/build.mjs ROOT --sizes` prints what each file holds, by package.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// `node scripts/build.mjs [ROOT]` writes ROOT/dist and ROOT/schema (default: this checkout),
// so the freshness test can build elsewhere and compare.
const args = process.argv.slice(2);
const root = args.find((a) => !a.startsWith('--')) ?? '.';
const entries = { cli: 'src/cli.ts', index: 'src/action/index.ts', post: 'src/action/post.ts' };
const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  // ssh2's optional native add-ons: it falls back to pure JS when they are absent.
  external: ['cpu-features', '*.node'],
};

/**
 * CommonJS modules that dependencies require at load time but use only on some paths: each is
 * bundled into dist/NAME.cjs, and the require in its importer becomes a function that requires
 * that file when first called. The patch names the exact text it replaces, so a dependency
 * update that changes it fails the build instead of silently loading everything again. An
 * entry without `module` cuts the dependency out instead: its require becomes `to` alone.
 */
const lazyCjs = [
  {
    // ssh:// engines go through stackcheck's own agent (src/engine/ssh-agent.ts), so the
    // modem's ssh path is never taken: not bundled at all, a second ssh2 otherwise.
    importer: 'node_modules/docker-modem/lib/modem.js',
    from: "ssh = require('./ssh'),",
    to: "ssh = function () { throw new Error('ssh:// engines are reached through stackcheck\\'s own agent'); },",
  },
  {
    name: 'docker-session',
    module: 'node_modules/dockerode/lib/session.js',
    importer: 'node_modules/dockerode/lib/docker.js',
    from: "withSession = require('./session'),",
    to: "withSession = function () { return require('./docker-session.cjs').apply(this, arguments); },",
  },
  {
    name: 'docker-buildkit',
    module: 'node_modules/dockerode/lib/buildkit.js',
    importer: 'node_modules/dockerode/lib/docker.js',
    from: "var buildkit = require('./buildkit');",
    to: "var buildkit = require('./docker-buildkit.cjs');",
  },
];

/** ESM modules replaced by a stub that imports the real one (a chunk) on first use. */
const lazyEsm = [
  {
    module: 'node_modules/@actions/core/lib/oidc-utils.js',
    stub: (real) =>
      `export const OidcClient = { getIDToken: async (aud) => (await import(${JSON.stringify(`${real}?real`)})).OidcClient.getIDToken(aud) };`,
  },
];

/**
 * ESM modules cut down to what stackcheck uses: zod re-exports every locale's error messages
 * (about 360 KiB, half of zod) as `z.locales`, which nothing here reads; zod itself imports
 * English directly.
 */
const trimmed = [
  {
    module: 'node_modules/zod/v4/locales/index.js',
    keep: 'export { default as en } from "./en.js";',
  },
];

/**
 * Blocks cut out of ESM modules. @azure/storage-common (under @actions/cache, the image cache)
 * declares require, __filename and __dirname at its top level, as the banner below does in
 * every chunk: the second declaration is a SyntaxError when the chunk loads. The banner's own
 * declarations serve the module in their place.
 */
const stripped = [
  {
    module: 'node_modules/@azure/storage-common/dist/esm/crc64.js',
    start: '// ESM-COMPAT-START',
    end: '// ESM-COMPAT-END',
  },
];

const lazy = {
  name: 'lazy',
  setup(b) {
    for (const t of stripped) {
      b.onLoad({ filter: new RegExp(`${escape(t.module)}$`) }, (a) => {
        const src = readFileSync(a.path, 'utf8');
        const from = src.indexOf(t.start);
        const to = src.indexOf(t.end, from);
        if (from < 0 || to < 0) throw new Error(`${t.module} no longer has ${t.start} … ${t.end}`);
        return { contents: src.slice(0, from) + src.slice(to + t.end.length), loader: 'js' };
      });
    }
    for (const t of trimmed) {
      b.onLoad({ filter: new RegExp(`${escape(t.module)}$`) }, (a) => {
        if (!readFileSync(a.path, 'utf8').includes(t.keep))
          throw new Error(`${t.module} no longer contains ${t.keep}`);
        return { contents: t.keep, loader: 'js' };
      });
    }
    for (const importer of new Set(lazyCjs.map((l) => l.importer))) {
      b.onLoad({ filter: new RegExp(`${escape(importer)}$`) }, (a) => {
        let src = readFileSync(a.path, 'utf8');
        for (const l of lazyCjs.filter((x) => x.importer === importer)) {
          if (!src.includes(l.from)) throw new Error(`${importer} no longer contains ${l.from}`);
          src = src.replace(l.from, l.to);
        }
        return { contents: src, loader: 'js' };
      });
    }
    b.onResolve({ filter: /^\.\/(docker-session|docker-buildkit)\.cjs$/ }, (a) => ({
      path: a.path,
      external: true,
    }));
    for (const l of lazyEsm) {
      const real = resolve(l.module);
      b.onLoad({ filter: new RegExp(`${escape(l.module)}$`) }, (a) =>
        a.suffix === '?real' ? undefined : { contents: l.stub(real), loader: 'js' },
      );
      b.onResolve({ filter: new RegExp(`^${escape(real)}\\?real$`) }, () => ({
        path: real,
        suffix: '?real',
      }));
    }
  },
};

function escape(s) {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const banner = {
  // CommonJS dependencies (dockerode, its modem, ssh2) use require(), __dirname and __filename.
  js: [
    "import { createRequire as __scRequire } from 'node:module';",
    "import { fileURLToPath as __scPath } from 'node:url';",
    "import { dirname as __scDir } from 'node:path';",
    'const require = __scRequire(import.meta.url);',
    'const __filename = __scPath(import.meta.url);',
    'const __dirname = __scDir(__filename);',
  ].join(' '),
};

const outdir = join(root, 'dist');
// Chunk names carry a hash of their content: last build's would linger beside this one's.
rmSync(outdir, { recursive: true, force: true });
const results = await Promise.all([
  build({
    ...node,
    entryPoints: entries,
    outdir,
    format: 'esm',
    splitting: true,
    chunkNames: 'chunk-[hash]',
    plugins: [lazy],
    banner,
  }),
  ...lazyCjs
    .filter((l) => l.module)
    .map((l) =>
      build({
        ...node,
        entryPoints: { [l.name]: l.module },
        outdir,
        format: 'cjs',
        outExtension: { '.js': '.cjs' },
      }),
    ),
]);

if (args.includes('--sizes')) {
  for (const r of results)
    for (const [file, o] of Object.entries(r.metafile.outputs)) {
      const byPackage = {};
      for (const [input, v] of Object.entries(o.inputs)) {
        const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
        const key = m ? m[1] : 'stackcheck';
        byPackage[key] = (byPackage[key] ?? 0) + v.bytesInOutput;
      }
      const top = Object.entries(byPackage)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([k, v]) => `${k} ${kb(v)}`);
      console.log(`${file.replace(/^.*dist\//, 'dist/')}\t${kb(o.bytes)}\t${top.join(', ')}`);
    }
}

function kb(n) {
  return `${(n / 1024).toFixed(0)} KiB`;
}

mkdirSync(join(root, 'schema'), { recursive: true });
const schema = execFileSync(process.execPath, [join(root, 'dist/cli.js'), 'schema'], {
  encoding: 'utf8',
});
writeFileSync(join(root, 'schema/stackcheck.schema.json'), schema);
