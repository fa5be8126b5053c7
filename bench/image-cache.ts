// The action's `image-cache` input: the bring-up of a job whose service builds its image,
// without the cache, with it on a cache miss (the job builds, exports and saves) and with it on
// a hit (the job loads the saved image instead of building). The action runs as the runner
// runs it (test/support/runner.ts), against a v1 cache service in this process
// (test/support/cache-server.ts, as act_runner's built-in one) and the local engine. Before
// every job the image is removed, as on a fresh runner.
//
//   node scripts/build.mjs /tmp/sc && STACKCHECK_TEST_CLI=/tmp/sc/dist/cli.js \
//     npx vite-node bench/image-cache.ts -- [--reps 3] [--build-seconds 4] [--mb 30] [--out NAME]
import Docker from 'dockerode';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { RunResults } from '../src/model/results.js';
import { FakeCacheServer } from '../test/support/cache-server.js';
import { workdir } from '../test/support/cli.js';
import { newJob, runStep } from '../test/support/runner.js';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    'build-seconds': { type: 'string', default: '4' },
    mb: { type: 'string', default: '30' },
    out: { type: 'string' },
  },
});
const reps = Number(values.reps);
const docker = new Docker();
const tag = 'stackcheck-bench-store';
// A build that takes a while (a compile, say) and leaves a layer of incompressible bytes, so
// that exporting, uploading, downloading and loading the image are paid for as with a real one.
const ws = workdir({
  'stackcheck.yml': `version: 1
name: bench-image-cache
topologies:
  bench:
    compose: compose.yml
    wait: { timeout: 2m }
`,
  'compose.yml': `services:
  store:
    build: ./store
    init: true
    healthcheck: { test: [CMD, wget, -qO-, "http://localhost:6379/ready"], interval: 200ms, retries: 300 }
`,
  'store/Dockerfile': `FROM stackcheck-fixture/busybox:1
RUN sleep ${values['build-seconds']} && head -c ${Number(values.mb) * 1_000_000} /dev/urandom > /blob
RUN mkdir -p /www && echo ok > /www/ready
CMD ["httpd", "-f", "-p", "6379", "-h", "/www"]
`,
});

async function removeImage() {
  await docker
    .getImage(tag)
    .remove({ force: true })
    .catch(() => undefined);
}

interface Sample {
  /** From the run's start to its last service healthy (the results JSON). */
  bringUpMs: number;
  /** The step's process, spawn to exit: the save's upload included. */
  stepMs: number;
}

async function job(cache: FakeCacheServer | undefined): Promise<Sample> {
  await removeImage();
  const start = performance.now();
  const step = await runStep(
    newJob(ws),
    'dist/index.js',
    { 'image-cache': String(!!cache), summary: 'false', annotations: 'false' },
    cache
      ? { ACTIONS_CACHE_URL: cache.url, ACTIONS_RUNTIME_TOKEN: 'bench' }
      : { ACTIONS_CACHE_URL: undefined },
  );
  const stepMs = performance.now() - start;
  if (step.code !== 0) throw new Error(`the job failed:\n${step.stdout}\n${step.stderr}`);
  const results = JSON.parse(readFileSync(step.outputs.json!, 'utf8')) as RunResults;
  const bringUpMs = Math.max(
    ...results.topologies.flatMap((t) => t.services.map((s) => s.healthyMs ?? s.startedMs ?? 0)),
  );
  return { bringUpMs, stepMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rows: Record<string, Sample[]> = { without: [], 'with, miss': [], 'with, hit': [] };
const warm = await new FakeCacheServer().start();
try {
  for (let r = 0; r < reps; r++) {
    rows.without!.push(await job(undefined));
    const empty = await new FakeCacheServer().start();
    try {
      rows['with, miss']!.push(await job(empty));
    } finally {
      await empty.close();
    }
    // The first rep's hit job needs an entry: the warm server gets it from a miss of its own.
    if (!warm.keys().length) await job(warm);
    rows['with, hit']!.push(await job(warm));
    process.stderr.write(`rep ${r + 1}/${reps} done\n`);
  }
} finally {
  await warm.close();
  await removeImage();
}

const tarball = warm.entries.values().next().value?.data.length ?? 0;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const lines = [
  `image-cache bench: ${new Date().toISOString()}, ${cpus().length} CPUs, ${reps} reps (medians), build: sleep ${values['build-seconds']} s + ${values.mb} MB layer, cache entry ${(tarball / 1e6).toFixed(1)} MB (zstd)`,
  '',
  '| job | bring-up (run start → healthy) | step (spawn → exit) | each rep: bring-up / step |',
  '| --- | --- | --- | --- |',
  ...Object.entries(rows).map(
    ([name, xs]) =>
      `| ${name} | ${s(median(xs.map((x) => x.bringUpMs)))} | ${s(median(xs.map((x) => x.stepMs)))} | ${xs.map((x) => `${s(x.bringUpMs)} / ${s(x.stepMs)}`).join(', ')} |`,
  ),
];
console.log(lines.join('\n'));
if (values.out) {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(join('bench/results', `${values.out}.md`), lines.join('\n') + '\n');
  writeFileSync(join('bench/results', `${values.out}.json`), JSON.stringify(rows, null, 2) + '\n');
}
