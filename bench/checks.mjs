// How long N http checks across S services take, at several concurrency limits.
// The check phase is timed inside each run, from stackcheck's progress on stderr: from the
// line saying the last service is ready to the line of the last check's result (bring-up and
// teardown, which vary with the machine's load, do not count). Each limit runs --reps times,
// interleaved; the table shows medians.
//
// Beside it, the floor: the same requests sent by a bare `fetch` loop at the same
// concurrency, to the same services started with `docker run`.
//
//   node bench/checks.mjs [--services 20] [--checks 1000] [--concurrency 16,64] [--reps 3]
//                         [--health-interval 30s] [--baseline DIR] [--cli FILE] [--out NAME]
/* global fetch */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '20' },
    checks: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16,64' },
    reps: { type: 'string', default: '3' },
    out: { type: 'string' },
    // Docker's default. At 500ms, twenty services' own healthchecks (an exec each) keep both
    // CPUs of the 2-core test machine busy with nothing else running, and the bench measures them.
    'health-interval': { type: 'string', default: '30s' },
    // Another build's dist/ (e.g. from `git show REV:dist/cli.js`), run alongside this one.
    baseline: { type: 'string' },
    // This build's cli.js, when not the repository's dist/ (e.g. `node scripts/build.mjs /tmp/x`).
    cli: { type: 'string' },
  },
});
const services = Number(values.services);
const total = Number(values.checks);
const limits = values.concurrency.split(',').map(Number);
const healthInterval = values['health-interval'];
const cli = values.cli ? resolve(values.cli) : join(process.cwd(), 'dist/cli.js');
const env = { ...process.env, STACKCHECK_PROBE_IMAGE: 'stackcheck-fixture/busybox:1' };

function suite() {
  const names = Array.from({ length: services }, (_, i) => `s${i + 1}`);
  const svc = names
    .map(
      (n) =>
        `      ${n}: { image: stackcheck-fixture/app:1, init: true, ports: ["8080"], environment: { SERVICE_NAME: ${n} }, ` +
        `healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: ${healthInterval}, retries: 60 } }`,
    )
    .join('\n');
  const checks =
    '\nchecks:\n' +
    Array.from({ length: total }, (_, i) => {
      const n = names[i % services];
      return `  - { name: "c${i}", http: { service: ${n}, port: 8080, path: /health }, expect: { json: { service: ${n} } } }`;
    }).join('\n');
  return `version: 1\nname: bench-checks\ntopologies:\n  t:\n    publish: ephemeral\n    wait: { timeout: 5m }\n    services:\n${svc}${checks}\n`;
}

const reps = Number(values.reps);
const SERVICE_READY = /^\s*\S+\s+\S+\/\S+\s+(healthy|running|completed)\b/;
const CHECK_DONE = /^\s+(passed|failed|skipped|error)\s+c\d+ /;

/** One run: its wall time and its check phase, from the arrival times of its stderr lines. */
function runOnce(cli, concurrency) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-checks-'));
  writeFileSync(join(dir, 'stackcheck.yml'), suite());
  const args = ['run', 'stackcheck.yml', '--json', 'r.json', '--concurrency', String(concurrency)];
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, ...args], { cwd: dir, env });
  let readyAt = 0;
  let lastCheckAt = 0;
  let pending = '';
  let stderr = '';
  child.stderr.on('data', (d) => {
    const t = performance.now() - t0;
    stderr += d;
    const lines = (pending + d).split('\n');
    pending = lines.pop();
    for (const line of lines) {
      if (SERVICE_READY.test(line)) readyAt = t;
      else if (CHECK_DONE.test(line)) lastCheckAt = t;
    }
  });
  child.stdout.resume();
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => {
      const wallMs = performance.now() - t0;
      try {
        const r = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
        const passed = r.checks.filter((c) => c.status === 'passed').length;
        resolve({ wallMs, phaseMs: lastCheckAt - readyAt, passed, checks: r.checks.length, code });
      } catch {
        reject(new Error(`run failed (exit ${code}):\n${stderr}`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
  );
}

/**
 * The floor: the same services started by `docker run`, then the same GETs and the same JSON
 * check in a bare `fetch` loop (keep-alive, no retries, no reports) at the same concurrency.
 */
async function floorOnce(concurrency) {
  const docker = async (...args) => (await execFileAsync('docker', args)).stdout.trim();
  const started = await Promise.allSettled(
    Array.from({ length: services }, (_, i) =>
      docker(
        'run',
        '-d',
        '--init',
        '--label',
        'io.stackcheck.bench=checks-floor',
        '-p',
        '127.0.0.1::8080',
        '-e',
        `SERVICE_NAME=s${i + 1}`,
        '--health-cmd',
        'wget -qO- http://localhost:8080/health',
        '--health-interval',
        healthInterval,
        'stackcheck-fixture/app:1',
      ),
    ),
  );
  const ids = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const ports = await Promise.all(ids.map((id) => docker('port', id, '8080/tcp')));
    const origins = ports.map((p) => `http://${p.split('\n')[0]}`);
    // Ready when each answers: the floor needs no healthcheck verdict to send requests.
    for (const o of origins)
      for (;;) {
        const ok = await fetch(`${o}/health`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        await sleep(50);
      }
    let next = 0;
    let passed = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const i = next++;
          const res = await fetch(`${origins[i % services]}/health`);
          const doc = JSON.parse(await res.text());
          if (res.status === 200 && doc.service === `s${(i % services) + 1}`) passed++;
        }
      }),
    );
    return { wallMs: NaN, phaseMs: performance.now() - t0, passed, checks: total, code: 0 };
  } finally {
    if (ids.length) await docker('rm', '-f', ...ids);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const builds = { 'dist/': cli };
if (values.baseline) builds[`baseline ${values.baseline}`] = join(values.baseline, 'cli.js');
const cases = [
  ...Object.entries(builds).flatMap(([build, path]) =>
    limits.map((c) => ({ key: `${build}|${c}`, build, path, concurrency: c })),
  ),
  ...limits.map((c) => ({ key: `floor|${c}`, build: 'fetch loop (floor)', concurrency: c })),
];
const samples = new Map(cases.map((c) => [c.key, []]));
const load = [loadavg()[0]];
for (let i = 0; i < reps; i++)
  for (const c of cases)
    samples
      .get(c.key)
      .push(await (c.path ? runOnce(c.path, c.concurrency) : floorOnce(c.concurrency)));
load.push(loadavg()[0]);
const rows = cases.map((c) => {
  const xs = samples.get(c.key);
  return {
    build: c.build,
    concurrency: c.concurrency,
    passed: Math.min(...xs.map((x) => x.passed)),
    checks: xs[0].checks,
    wallMs: median(xs.map((x) => x.wallMs)),
    phaseMs: median(xs.map((x) => x.phaseMs)),
    phases: xs.map((x) => Math.round(x.phaseMs)),
  };
});
const out = [
  `${total} http checks across ${services} services (each: GET /health on the published port, JSON subset expectation; healthcheck interval ${healthInterval}), medians of ${reps}`,
  '',
  '| build | concurrency | checks passed (worst run) | suite total (s) | check phase (s) | each run (s) | checks/s |',
  '| --- | ---: | ---: | ---: | ---: | --- | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.build} | ${r.concurrency} | ${r.passed}/${r.checks} | ${Number.isNaN(r.wallMs) ? '' : (r.wallMs / 1000).toFixed(1)} | ${(r.phaseMs / 1000).toFixed(2)} | ${r.phases.map((p) => (p / 1000).toFixed(2)).join(', ')} | ${(total / (r.phaseMs / 1000)).toFixed(0)} |`,
  ),
  '',
  `- date: ${new Date().toISOString()}`,
  `- node: ${process.version}; cpus: ${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  `- load average (1 min) before / after: ${load.map((l) => l.toFixed(2)).join(' / ')}`,
].join('\n');
console.log(out);
mkdirSync('bench/results', { recursive: true });
const name = values.out ?? `checks-${new Date().toISOString().slice(0, 10)}`;
writeFileSync(`bench/results/${name}.md`, `${out}\n`);
