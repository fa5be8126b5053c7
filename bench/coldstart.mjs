// Cold start: from spawning `node dist/index.js` (the action's main step), `node dist/cli.js run`
// and `node dist/post.js` to their first request to the engine. The engine is a Unix socket
// this script listens on (DOCKER_HOST points there): it notes when the first request arrives
// and then ends the child. Nothing else is needed: no Docker, no registry.
//
//   node bench/coldstart.mjs [--reps 9] [--out NAME]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout, clearTimeout } from 'node:timers';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '9' },
    out: { type: 'string' },
    // Another build's dist/ (e.g. from `git show REV:dist/cli.js`), timed alongside this one.
    baseline: { type: 'string' },
  },
});
const reps = Number(values.reps);
const dist = resolve('dist');
const dir = mkdtempSync(join(tmpdir(), 'bench-coldstart-'));
const sock = join(dir, 'engine.sock');
const manifest = join(dir, 'stackcheck.yml');
writeFileSync(
  join(dir, 'compose.yml'),
  'services:\n  web: { image: stackcheck-fixture/busybox:1 }\n',
);
writeFileSync(
  manifest,
  'version: 1\nname: coldstart\ntopologies:\n  t: { compose: compose.yml }\n',
);

/** Called when a child's first engine request arrives (one child runs at a time). */
let onRequest = () => undefined;
const server = createServer((c) => {
  onRequest();
  c.destroy();
});
await new Promise((r) => server.listen(sock, r));

const env = {
  ...process.env,
  DOCKER_HOST: `unix://${sock}`,
  GITHUB_ACTIONS: 'true',
  RUNNER_TEMP: dir,
  GITHUB_WORKSPACE: dir,
  GITHUB_STATE: join(dir, 'state'),
  GITHUB_OUTPUT: join(dir, 'output'),
  GITHUB_STEP_SUMMARY: join(dir, 'summary'),
  INPUT_MANIFEST: manifest,
  'INPUT_WORKING-DIRECTORY': dir,
  INPUT_SUMMARY: 'false',
  INPUT_ANNOTATIONS: 'false',
  // The post step finds the run to clean up in the main step's saved state.
  STATE_stackcheck: JSON.stringify({ nodes: [], runs: [], dockerHost: `unix://${sock}` }),
};
for (const f of ['state', 'output', 'summary']) writeFileSync(join(dir, f), '');

const commands = {
  'node -e 0 (node itself)': [
    '-e',
    'require("net").connect(process.argv[1]).on("error",()=>0)',
    sock,
  ],
  'dist/cli.js run': [join(dist, 'cli.js'), 'run', manifest],
  'dist/index.js (action main)': [join(dist, 'index.js')],
  'dist/post.js (action post)': [join(dist, 'post.js')],
  ...(values.baseline && {
    'baseline cli.js run': [join(resolve(values.baseline), 'cli.js'), 'run', manifest],
    'baseline index.js': [join(resolve(values.baseline), 'index.js')],
    'baseline post.js': [join(resolve(values.baseline), 'post.js')],
  }),
};

/** Milliseconds from spawn to the first engine request, or undefined when none came. */
function once(args) {
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: dir, env, stdio: 'ignore' });
    let ms;
    onRequest = () => {
      ms ??= performance.now() - t0;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', () => {
      clearTimeout(timer);
      done(ms);
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
const samples = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
const load = [loadavg()[0]];
// Interleaved, so drift in the machine's load spreads over all of them.
for (let i = 0; i < reps; i++)
  for (const [name, args] of Object.entries(commands)) samples[name].push(await once(args));
load.push(loadavg()[0]);
server.close();
rmSync(dir, { recursive: true, force: true });

for (const [name, xs] of Object.entries(samples)) {
  const got = xs.filter((x) => x !== undefined);
  rows.push({
    command: name,
    medianMs: got.length ? Math.round(median(got)) : undefined,
    minMs: got.length ? Math.round(Math.min(...got)) : undefined,
    maxMs: got.length ? Math.round(Math.max(...got)) : undefined,
    reached: `${got.length}/${xs.length}`,
  });
}

const loaded = (entry) => {
  // What an entry loads at start: itself and the chunks it imports statically, transitively.
  const seen = new Set();
  const visit = async (f) => {
    if (seen.has(f)) return;
    seen.add(f);
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(join(dist, f), 'utf8');
    for (const m of text.matchAll(/(?:from|import) ?"\.\/(chunk-[A-Z0-9]+\.js)"/g))
      await visit(m[1]);
  };
  return visit(entry).then(() => [...seen].reduce((n, f) => n + statSync(join(dist, f)).size, 0));
};
const sizes = {};
for (const e of ['cli.js', 'index.js', 'post.js']) sizes[e] = await loaded(e);

const out = [
  `Cold start: spawn → first engine request (ms), medians of ${reps}, interleaved`,
  '',
  '| command | median | min | max | reached the engine |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.command} | ${r.medianMs} | ${r.minMs} | ${r.maxMs} | ${r.reached} |`),
  '',
  'Loaded at start (entry + static chunks): ' +
    Object.entries(sizes)
      .map(([e, n]) => `${e} ${(n / 1024).toFixed(0)} KiB`)
      .join(', '),
  '',
  `- date: ${new Date().toISOString()}`,
  `- node: ${process.version}; cpus: ${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  `- load average (1 min) before / after: ${load.map((l) => l.toFixed(2)).join(' / ')}`,
].join('\n');
console.log(out);
if (values.out) {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${values.out}.md`, `${out}\n`);
  writeFileSync(
    `bench/results/${values.out}.json`,
    `${JSON.stringify({ rows, sizes, load, reps }, null, 2)}\n`,
  );
}
