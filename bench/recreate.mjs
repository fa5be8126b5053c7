// How long replacing a running service takes until its new containers are healthy again:
// stackcheck's `recreate` step vs `docker-compose up -d --force-recreate` followed by the
// `docker inspect` polling a script would do. Same compose file, same engine, one after the
// other; bring-up and teardown are not timed.
//
//   node bench/recreate.mjs [--replicas 1,5,10] [--reps 5]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '1,5,10' },
    reps: { type: 'string', default: '5' },
  },
});
const sizes = values.replicas.split(',').map(Number);
const reps = Number(values.reps);
const cli = join(process.cwd(), 'dist/cli.js');
const POLL_MS = 100;
const POLL_LIMIT_MS = 120_000;

// busybox httpd stops at once on SIGTERM (init), so no grace period hides the tools' own cost.
const compose = (n) => `services:
  web:
    image: stackcheck-fixture/busybox:1
    command: [httpd, -f, -p, "8080", -h, /etc]
    init: true
    scale: ${n}
    healthcheck:
      test: [CMD-SHELL, "wget -q -O /dev/null http://localhost:8080/passwd"]
      interval: 200ms
      timeout: 2s
      retries: 50
`;

const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: 'pipe' });

function stackcheck(dir, n) {
  const steps = Array.from({ length: reps }, () => '      - recreate: { service: web }').join('\n');
  writeFileSync(
    join(dir, 'stackcheck.yml'),
    `version: 1\nname: bench-recreate-${n}\ntopologies:\n  t:\n    compose: compose.yml\n` +
      `    wait: { timeout: 5m }\nscenarios:\n  - name: recreate\n    steps:\n${steps}\n`,
  );
  run(process.execPath, [cli, 'run', 'stackcheck.yml', '--json', 'r.json'], dir);
  const r = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
  return r.scenarios[0].steps.map((s) => s.durationMs);
}

/** Waits until the service has `n` containers, none of them in `old`, all healthy. */
/** Polls until n new containers are healthy; gives up after POLL_LIMIT_MS so a broken stack cannot hang the bench. */
async function pollReplaced(project, n, old) {
  const deadline = performance.now() + POLL_LIMIT_MS;
  while (performance.now() < deadline) {
    const ids = run('docker', [
      'ps',
      '-q',
      '--no-trunc',
      '--filter',
      `label=com.docker.compose.project=${project}`,
      '--filter',
      'label=com.docker.compose.service=web',
    ])
      .split('\n')
      .filter(Boolean);
    if (ids.length === n && !ids.some((id) => old.has(id))) {
      const health = run('docker', ['inspect', '-f', '{{.State.Health.Status}}', ...ids]);
      if (health.split('\n').filter((h) => h === 'healthy').length === n) return new Set(ids);
    }
    await sleep(POLL_MS);
  }
  throw new Error(
    `${project}: ${n} new healthy containers did not appear within ${POLL_LIMIT_MS / 1000} s`,
  );
}

async function dockerCompose(dir, n) {
  const project = `bench-recreate-${n}-${process.pid}`;
  const dc = (...args) => run('docker-compose', ['-p', project, '-f', 'compose.yml', ...args], dir);
  try {
    dc('up', '-d');
    let ids = await pollReplaced(project, n, new Set());
    const times = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      dc('up', '-d', '--force-recreate', '--no-deps', 'web');
      ids = await pollReplaced(project, n, ids);
      times.push(performance.now() - t0);
    }
    return times;
  } finally {
    dc('down', '-v');
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (ms) => (ms / 1000).toFixed(2);
const rows = [];
for (const n of sizes) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-recreate-'));
  try {
    writeFileSync(join(dir, 'compose.yml'), compose(n));
    const sc = stackcheck(dir, n);
    const dcTimes = await dockerCompose(dir, n);
    rows.push({ n, sc, dc: dcTimes });
    process.stderr.write(
      `replicas ${n}: stackcheck ${sc.map(s)}  docker-compose ${dcTimes.map(s)}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const out = [
  `Recreate one service of N replicas until every new container is healthy (healthcheck every 200 ms), ${reps} times each; seconds`,
  '',
  '| replicas | stackcheck median (min–max) | docker-compose 1.29 + inspect polling median (min–max) | ratio of medians |',
  '| ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.n} | ${s(median(r.sc))} (${s(Math.min(...r.sc))}–${s(Math.max(...r.sc))}) | ` +
      `${s(median(r.dc))} (${s(Math.min(...r.dc))}–${s(Math.max(...r.dc))}) | ${(median(r.sc) / median(r.dc)).toFixed(2)} |`,
  ),
].join('\n');
console.log(out);
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/recreate-${new Date().toISOString().slice(0, 10)}.md`, `${out}\n`);
