// What a snapshot of a big directory costs: a container with FILES files of SIZE bytes in
// /data (100 per folder) is read through the engine's archive endpoint, hashed and listed,
// REPS times; beside it, the same tree hashed inside the container (`find | sha256sum`),
// which needs tools in the image that the archive read does not.
//
//   npx vite-node bench/snapshot.ts -- [--files 10000] [--size 1024] [--reps 3]
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DockerEngine } from '../src/engine/docker.js';
import { readTree } from '../src/snapshot/files.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '10000' },
    size: { type: 'string', default: '1024' },
    reps: { type: 'string', default: '3' },
  },
});
const files = Number(values.files);
const size = Number(values.size);
const reps = Number(values.reps);
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

const make = `i=0; while [ $i -lt ${files} ]; do d=/data/d$((i / 100)); mkdir -p $d; head -c ${size} /dev/urandom > $d/f$i; i=$((i + 1)); done; touch /tmp/ready; exec sleep 3600`;
const id = docker(
  'run',
  '-d',
  '--init',
  '--label',
  'io.stackcheck.bench=1',
  'stackcheck-fixture/busybox:1',
  'sh',
  '-c',
  make,
);
try {
  while (docker('exec', id, 'sh', '-c', 'test -f /tmp/ready && echo y || echo n') !== 'y')
    await new Promise((r) => setTimeout(r, 200));
  const engine = new DockerEngine({ node: 'local' });
  const archive: number[] = [];
  let entries = 0;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const tree = await readTree(engine, id, '/data', { files: files, bytes: files * size });
    archive.push(performance.now() - t0);
    entries = Object.keys(tree.entries).length;
    if (tree.incomplete) throw new Error(tree.incomplete);
  }
  const inside: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    docker('exec', id, 'sh', '-c', 'find /data -type f -exec sha256sum {} + | wc -l');
    inside.push(performance.now() - t0);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const fmt = (xs: number[]) =>
    `median ${Math.round(median(xs))} ms (runs: ${xs.map(Math.round).join(', ')})`;
  console.log(`${files} files of ${size} bytes (${entries} entries with the folders)`);
  console.log(`archive read + sha256 (stackcheck snapshot): ${fmt(archive)}`);
  console.log(`find | sha256sum inside the container:       ${fmt(inside)}`);
  await engine.close();
} finally {
  docker('rm', '-f', id);
}
