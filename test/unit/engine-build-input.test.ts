import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { extract } from 'tar-stream';
import {
  buildInput,
  buildSecretValues,
  buildSshAgents,
  splitRef,
  withNamedContexts,
} from '../../src/engine/docker/build.js';
import type { BuildSpec } from '../../src/compose/model.js';
import { EngineError } from '../../src/engine/errors.js';
import { bytesField, firstStringField } from '../../src/engine/docker/build-session.js';

const pos = { file: 'c.yml', line: 1, column: 1 };

async function entries(tar: NodeJS.ReadableStream): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const x = extract();
  x.on('entry', (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      out[h.name] = Buffer.concat(chunks).toString();
      next();
    });
  });
  const done = new Promise((r) => x.on('finish', r));
  tar.pipe(x);
  await done;
  return out;
}

describe('build input', () => {
  const root = mkdtempSync(join(tmpdir(), 'rk-build-'));
  const ctx = join(root, 'app');
  mkdirSync(join(ctx, 'assets'), { recursive: true });
  mkdirSync(join(root, 'shared'));
  writeFileSync(
    join(ctx, 'Dockerfile'),
    '# syntax=docker/dockerfile:1\nARG V=1\nFROM base:${V}\nCOPY --from=web /a /a\n',
  );
  writeFileSync(join(ctx, 'assets', 'a.txt'), 'a');
  writeFileSync(join(root, 'shared', 's.txt'), 's');
  const spec = (over: Partial<BuildSpec>): BuildSpec => ({
    context: ctx,
    dockerfile: 'Dockerfile',
    args: {},
    labels: {},
    pos,
    ...over,
  });

  it('sends the context as it is when nothing is added', async () => {
    const input = buildInput(spec({}), 'local');
    expect(input.dockerfile).toBe('Dockerfile');
    expect(Object.keys(await entries(input.tar!)).sort()).toEqual([
      'Dockerfile',
      'assets/',
      'assets/a.txt',
    ]);
  });

  it('sends an inline Dockerfile in the tar, under its own name', async () => {
    const input = buildInput(spec({ dockerfileInline: 'FROM busybox\nRUN true\n' }), 'local');
    expect(input.dockerfile).toBe('.stackcheck.Dockerfile');
    expect((await entries(input.tar!))['.stackcheck.Dockerfile']).toBe('FROM busybox\nRUN true\n');
  });

  it('turns named contexts into stages before the first FROM, after directives and global ARGs', async () => {
    const input = buildInput(
      spec({
        additionalContexts: {
          web: join(ctx, 'assets'),
          shared: join(root, 'shared'),
          base: 'docker-image://busybox:1',
        },
      }),
      'local',
    );
    const files = await entries(input.tar!);
    expect(files['.stackcheck.Dockerfile']).toBe(
      '# syntax=docker/dockerfile:1\nARG V=1\nFROM scratch AS web\nCOPY assets/ /\nFROM scratch AS shared\nCOPY .stackcheck/contexts/shared/ /\nFROM busybox:1 AS base\nFROM base:${V}\nCOPY --from=web /a /a\n',
    );
    expect(files['.stackcheck/contexts/shared/s.txt']).toBe('s');
    expect(withNamedContexts('FROM x\n', {}, ctx).text).toBe('FROM x\n');
  });

  it("gives a remote context to the engine, and refuses what needs BuildKit's session, with why", () => {
    expect(
      buildInput(spec({ context: 'https://github.com/x/y.git#main', remote: true }), 'n'),
    ).toEqual({
      remote: 'https://github.com/x/y.git#main',
      dockerfile: 'Dockerfile',
    });
    const refused = (over: Partial<BuildSpec>) => {
      try {
        buildInput(spec(over), 'n');
      } catch (e) {
        expect(e).toBeInstanceOf(EngineError);
        return (e as EngineError).message;
      }
      throw new Error('not refused');
    };
    expect(
      buildSecretValues(spec({ secrets: [{ source: 's', id: 'gh', text: 'v' }] }), 'n'),
    ).toEqual(new Map([['gh', Buffer.from('v')]]));
    expect(() => buildSecretValues(spec({ secrets: [{ source: 's', id: 's' }] }), 'n')).toThrow(
      /build secret "s" has no value/,
    );
    expect(() => buildSshAgents(spec({ ssh: ['default'] }), 'n', {})).toThrow(
      /no ssh agent \(SSH_AUTH_SOCK is not set\)/,
    );
    expect(() =>
      buildSshAgents(spec({ ssh: [`key=${join(ctx, 'Dockerfile')}`] }), 'n', {}),
    ).toThrow(/is not an ssh agent socket; stackcheck forwards agents only/);
    expect(refused({ additionalContexts: { x: 'service:other' } })).toMatch(
      /only the orchestrator can resolve/,
    );
  });

  it('finds the agent socket of each ssh id: default is SSH_AUTH_SOCK', async () => {
    const sock = join(root, 'agent.sock');
    const server = createServer().listen(sock);
    await new Promise((r) => server.once('listening', r));
    try {
      expect(
        buildSshAgents(spec({ ssh: ['default', `work=${sock}`] }), 'n', { SSH_AUTH_SOCK: sock }),
      ).toEqual(
        new Map([
          ['default', sock],
          ['work', sock],
        ]),
      );
    } finally {
      server.close();
    }
  });

  it('splits a reference as docker tag does', () => {
    expect(splitRef('app:1.2')).toEqual({ repo: 'app', tag: '1.2' });
    expect(splitRef('localhost:5000/app')).toEqual({ repo: 'localhost:5000/app', tag: 'latest' });
    expect(splitRef('localhost:5000/app:v2')).toEqual({ repo: 'localhost:5000/app', tag: 'v2' });
  });
});

describe('BuildKit session messages', () => {
  it('reads the id of a GetSecretRequest and writes a GetSecretResponse', () => {
    // GetSecretRequest { ID: "npm", annotations: { a: "b" } }, as protobuf.
    const req = Buffer.from([
      0x0a,
      3,
      ...Buffer.from('npm'),
      0x12,
      6,
      0x0a,
      1,
      0x61,
      0x12,
      1,
      0x62,
    ]);
    expect(firstStringField(req)).toBe('npm');
    expect(firstStringField(Buffer.concat([Buffer.from([0x12, 1, 0x62]), req]))).toBe('npm');
    expect(bytesField(Buffer.from('xy'))).toEqual(Buffer.from([0x0a, 2, 0x78, 0x79]));
    expect(bytesField(Buffer.alloc(300)).subarray(0, 3)).toEqual(Buffer.from([0x0a, 0xac, 0x02]));
  });
});

describe('additional_contexts: service:X', () => {
  it("names X's image, and X's plan is built first", async () => {
    const { plan } = await import('../../src/orchestrator/plan.js');
    const { contextServices, withServiceContexts } =
      await import('../../src/orchestrator/build-contexts.js');
    const { service, suite, topology } = await import('../support/specs.js');
    const base = service('base', {
      image: undefined,
      build: { context: '/b', dockerfile: 'Dockerfile', args: {}, labels: {}, pos },
    });
    const app = service('app', {
      build: {
        context: '/a',
        dockerfile: 'Dockerfile',
        args: {},
        labels: {},
        additionalContexts: { parent: 'service:base', x: 'docker-image://busybox' },
        pos,
      },
    });
    const t = plan(suite([topology('t', [base, app])]), 'r1').topologies[0]!;
    const sp = t.services.find((s) => s.spec.name === 'app')!;
    expect(contextServices(sp, t).map((s) => s.spec.name)).toEqual(['base']);
    expect(withServiceContexts(sp, t).image.build!.additionalContexts).toEqual({
      parent: 'docker-image://stackcheck-t-base',
      x: 'docker-image://busybox',
    });
  });
});
