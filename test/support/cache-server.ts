import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The cache service's v1 API as @actions/cache (lib/internal/cacheHttpClient.js) calls it and
 * act_runner's built-in cache server answers it: look up by keys and version, reserve, upload
 * in ranged PATCH chunks, commit, download. Entries live in memory.
 */
export interface CacheEntry {
  key: string;
  version: string;
  data: Buffer;
  committed: boolean;
}

export class FakeCacheServer {
  readonly entries = new Map<number, CacheEntry>();
  /** Every request, `METHOD path`, for assertions on what the client did. */
  readonly calls: string[] = [];
  private readonly server: Server;
  private nextId = 1;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        ({ status, body }) => {
          if (Buffer.isBuffer(body)) {
            res.writeHead(status, { 'content-length': body.length }).end(body);
          } else if (body === undefined) {
            res.writeHead(status).end();
          } else {
            res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
          }
        },
        (e: Error) => res.writeHead(500).end(e.message),
      );
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  /** The committed entries' keys. */
  keys(): string[] {
    return [...this.entries.values()].filter((e) => e.committed).map((e) => e.key);
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body?: unknown }> {
    const url = new URL(req.url!, this.url);
    this.calls.push(`${req.method} ${url.pathname}`);
    const raw = await body(req);
    const path = url.pathname.replace(/^\/_apis\/artifactcache\//, '');
    if (req.method === 'GET' && path === 'cache') {
      const keys = url.searchParams.get('keys')!.split(',');
      const version = url.searchParams.get('version');
      for (const k of keys) {
        const hit = [...this.entries].find(
          ([, e]) => e.committed && e.version === version && e.key === k,
        );
        if (hit)
          return {
            status: 200,
            body: { cacheKey: hit[1].key, archiveLocation: `${this.url}artifacts/${hit[0]}` },
          };
      }
      return { status: 204 };
    }
    if (req.method === 'POST' && path === 'caches') {
      const { key, version } = JSON.parse(raw.toString()) as { key: string; version: string };
      if ([...this.entries.values()].some((e) => e.key === key && e.version === version))
        return { status: 409, body: { message: `already exists: ${key}` } };
      const id = this.nextId++;
      this.entries.set(id, { key, version, data: Buffer.alloc(0), committed: false });
      return { status: 201, body: { cacheId: id } };
    }
    const entry = /^caches\/(\d+)$/.exec(path);
    const e = entry && this.entries.get(Number(entry[1]));
    if (e && req.method === 'PATCH') {
      const start = Number(/^bytes (\d+)-/.exec(req.headers['content-range'] ?? '')?.[1]);
      const data = Buffer.alloc(Math.max(e.data.length, start + raw.length));
      e.data.copy(data);
      raw.copy(data, start);
      e.data = data;
      return { status: 204 };
    }
    if (e && req.method === 'POST') {
      const { size } = JSON.parse(raw.toString()) as { size: number };
      if (size !== e.data.length) return { status: 400, body: { message: 'size mismatch' } };
      e.committed = true;
      return { status: 204 };
    }
    const artifact = /^\/artifacts\/(\d+)$/.exec(url.pathname);
    const a = artifact && this.entries.get(Number(artifact[1]));
    if (a && req.method === 'GET') return { status: 200, body: a.data };
    return { status: 404 };
  }
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
