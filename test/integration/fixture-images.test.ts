// The locally built fixture images (scripts/build-fixture-images.sh) do what the other
// integration tests rely on. Plain docker CLI on purpose: this checks the images, not our engine code.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LABEL = 'io.stackcheck.test=fixture-images';
const APP_IMAGE = 'stackcheck-fixture/app:1';

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await exec('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

async function waitFor(url: string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return res;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 2xx within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

type SseEvent = Record<string, string>;

/** Reads `count` server-sent events from `url`, then drops the connection. */
async function readEvents(url: string, count: number): Promise<SseEvent[]> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), 10_000);
  try {
    const res = await fetch(url, { signal: ctrl.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    if (!res.body) throw new Error('no body');
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const events: SseEvent[] = [];
    let buffer = '';
    while (events.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const event: SseEvent = {};
        for (const line of buffer.slice(0, end).split('\n')) {
          const colon = line.indexOf(':');
          if (colon > 0) event[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
        }
        events.push(event);
        buffer = buffer.slice(end + 2);
      }
    }
    return events;
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
}

beforeAll(async () => {
  // A no-op (about a second) when the images are current; builds them otherwise.
  await exec('bash', ['scripts/build-fixture-images.sh'], { cwd: ROOT });
});

describe('stackcheck-fixture/app:1', () => {
  const created: string[] = [];
  let id = '';
  let base = '';

  beforeAll(async () => {
    const env = ['-e', 'SERVICE_NAME=fixture-test'];
    id = await docker('run', '-d', '--label', LABEL, ...env, '-p', '127.0.0.1::8080', APP_IMAGE);
    created.push(id);
    base = `http://${(await docker('port', id, '8080/tcp')).split('\n')[0]}`;
    await waitFor(`${base}/health`, 15_000);
  });

  afterAll(async () => {
    if (created.length > 0) await docker('rm', '-f', ...created);
  });

  it('answers /health with its service name', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, service: 'fixture-test' });
  });

  it('serves an environment variable at /env/NAME', async () => {
    const res = await fetch(`${base}/env/SERVICE_NAME`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('fixture-test');
    expect((await fetch(`${base}/env/NOT_SET_ANYWHERE`)).status).toBe(404);
  });

  it('streams server-sent events at /sse', async () => {
    const events = await readEvents(`${base}/sse?count=3&interval=50`, 3);
    expect(events).toEqual(
      [1, 2, 3].map((n) => ({ id: String(n), event: 'tick', data: `{"n":${n}}` })),
    );
  });

  it('fetches from inside the container at /fetch (libc name lookup works)', async () => {
    const res = await fetch(
      `${base}/fetch?url=${encodeURIComponent('http://localhost:8080/status/204')}`,
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 204, body: '' });
  });

  it('logs one line per request', async () => {
    const logs = await docker('logs', id);
    expect(logs).toContain('fixture-test listening on :8080');
    expect(logs).toMatch(/^GET \/env\/SERVICE_NAME 200 \d+ms$/m);
  });

  it('stops at once with exit code 0 on SIGTERM', async () => {
    const started = Date.now();
    await docker('kill', '--signal', 'TERM', id);
    expect(await docker('wait', id)).toBe('0');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await docker('logs', id)).toMatch(/^shutting down$/m);
  });
});

describe('stackcheck-fixture/busybox:1', () => {
  const bb = (script: string) =>
    docker('run', '--rm', '--label', LABEL, 'stackcheck-fixture/busybox:1', 'sh', '-c', script);

  it('runs busybox applets', async () => {
    expect(await bb('wget --help >/dev/null 2>&1; echo ok')).toBe('ok');
  });

  it('has the tools healthchecks and fixtures use, and the app user', async () => {
    const script =
      'for t in sh httpd nc wget sleep printenv ping kill; do command -v $t >/dev/null || echo "missing $t"; done;' +
      ' X=42 printenv X; id -u app; trap "echo trapped" USR1; kill -USR1 $$';
    expect((await bb(script)).split('\n')).toEqual(['42', '1000', 'trapped']);
  });
});
