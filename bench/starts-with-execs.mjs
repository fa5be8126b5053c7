// What an exec costs the starts around it: N containers (the bring-up bench's busybox httpd
// with a 1 s healthcheck) created and started through bare Engine API calls, three ways:
//   floor  create all, then start all
//   each   start each container as soon as its create returns
//   exec   as `each`, then one exec of the healthcheck command into each container as it started
// It prints when the last start returned and the mean start call, per mode and rep. Plain
// Node ESM, no dependencies; DOCKER_HOST must be a unix:// socket.
//
//   node bench/starts-with-execs.mjs [--n 20] [--reps 2]
import { Buffer } from 'node:buffer';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { n: { type: 'string' }, reps: { type: 'string' } } });
const n = Number(values.n ?? 20);
const reps = Number(values.reps ?? 2);
const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
if (!host.startsWith('unix://')) throw new Error(`DOCKER_HOST must be unix://…, not ${host}`);
const socketPath = host.slice('unix://'.length);
const agent = new http.Agent({ keepAlive: true });
const IMAGE = 'stackcheck-fixture/busybox:1';
const HEALTH = 'wget -q -O /dev/null http://localhost:8080/passwd';

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = data
      ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }
      : {};
    const req = http.request({ socketPath, path, method, agent, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () =>
        res.statusCode >= 300
          ? reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`))
          : resolve(text ? JSON.parse(text) : undefined),
      );
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function once(mode) {
  const tag = `scbench-execs-${process.pid}-${Date.now() % 100_000}`;
  const spec = (i) => ({
    Image: IMAGE,
    Cmd: ['httpd', '-f', '-p', '8080', '-h', '/etc'],
    Labels: { 'io.stackcheck.bench': '1' },
    Healthcheck: { Test: ['CMD-SHELL', HEALTH], Interval: 1e9, Timeout: 2e9, Retries: 30 },
    HostConfig: { Init: true, NetworkMode: tag },
    NetworkingConfig: { EndpointsConfig: { [tag]: { Aliases: [`s${i}`] } } },
  });
  const t0 = performance.now();
  const starts = [];
  const create = (i) =>
    call('POST', `/containers/create?name=${tag}-s${i}`, spec(i)).then((r) => r.Id);
  const start = async (id) => {
    const s = performance.now();
    await call('POST', `/containers/${id}/start`);
    starts.push(performance.now() - s);
  };
  const exec = async (id) => {
    const e = await call('POST', `/containers/${id}/exec`, { Cmd: ['sh', '-c', HEALTH] });
    await call('POST', `/exec/${e.Id}/start`, { Detach: false });
  };
  await call('POST', '/networks/create', { Name: tag, Labels: { 'io.stackcheck.bench': '1' } });
  let ids = [];
  try {
    if (mode === 'floor') {
      ids = await Promise.all(Array.from({ length: n }, (_, i) => create(i + 1)));
      await Promise.all(ids.map(start));
    } else {
      await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const id = await create(i + 1);
          ids.push(id);
          await start(id);
          if (mode === 'exec') await exec(id);
        }),
      );
    }
    const lastStart = performance.now() - t0;
    const mean = starts.reduce((a, b) => a + b, 0) / starts.length;
    console.log(
      `${mode.padEnd(5)}  last start ${(lastStart / 1000).toFixed(2)} s   mean start call ${(mean / 1000).toFixed(2)} s`,
    );
  } finally {
    await Promise.all(ids.map((id) => call('DELETE', `/containers/${id}?force=true`)));
    await call('DELETE', `/networks/${tag}`);
  }
}

console.log(`${n} containers, ${reps} reps, on ${host}`);
for (let r = 0; r < reps; r++) for (const mode of ['floor', 'each', 'exec']) await once(mode);
agent.destroy();
