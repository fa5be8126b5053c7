import { describe, expect, it } from 'vitest';
import { UserError, type Problem } from '../../src/common/errors.js';
import { loadSuite } from '../../src/manifest/load.js';
import { manifestJsonSchema } from '../../src/manifest/schema.js';
import { workdir } from '../support/cli.js';

function problems(files: Record<string, string>, env: Record<string, string> = {}): Problem[] {
  const dir = workdir(files);
  try {
    loadSuite(`${dir}/stackcheck.yml`, { env });
  } catch (e) {
    if (e instanceof UserError)
      return e.problems.map((p) => ({
        ...p,
        pos: p.pos && { ...p.pos, file: p.pos.file.replace(`${dir}/`, '') },
      }));
    throw e;
  }
  throw new Error('expected the manifest to be rejected');
}

const inline = `version: 1
name: s
topologies:
  queen:
    services:
      queen:
        image: q
`;

describe('loading a manifest', () => {
  it('loads inline services and compose files with their positions and defaults', () => {
    const dir = workdir({
      'stackcheck.yml': `version: 1
name: pc2
topologies:
  pipeline:
    compose: [pc2/compose.yml]
    env: { PORT: 50100 }
    wait: { timeout: 30s }
  queen:
    services:
      queen: { image: "rbee/queen:\${TAG:-test}" }
`,
      'pc2/compose.yml': 'services:\n  pipeline:\n    image: p\n    ports: ["${PORT}:50100"]\n',
    });
    const suite = loadSuite(`${dir}/stackcheck.yml`, { env: {} });
    expect(suite.nodes).toEqual({
      local: { name: 'local', labels: [], docker: undefined, address: undefined, tls: undefined },
    });
    const [pipeline, queen] = suite.topologies;
    expect(pipeline).toMatchObject({
      name: 'pipeline',
      node: 'local',
      waitTimeoutMs: 30_000,
      stableMs: 1000,
      publish: 'declared',
    });
    expect(pipeline!.project.services.pipeline!.ports).toMatchObject([
      { target: 50100, published: 50100, protocol: 'tcp' },
    ]);
    expect(pipeline!.project.services.pipeline!.pos).toMatchObject({ line: 2, column: 3 });
    expect(queen!.project.services.queen!.image).toBe('rbee/queen:test');
    expect(queen!.project.services.queen!.pos).toMatchObject({
      file: expect.stringContaining('stackcheck.yml'),
      line: 10,
      column: 7,
    });
    expect(queen!.waitTimeoutMs).toBe(120_000);
  });

  it('reports an unknown key at its line with a suggestion', () => {
    expect(
      problems({ 'stackcheck.yml': inline.replace('name: s', 'name: s\ntopologis: {}') }),
    ).toEqual([
      {
        message: 'unknown key "topologis" in the manifest',
        pos: { file: 'stackcheck.yml', line: 3, column: 1 },
        hint: 'Did you mean "topologies"?',
      },
    ]);
    const p = problems({
      'stackcheck.yml': inline.replace('    services:', '    wait: { timout: 5s }\n    services:'),
    });
    expect(p).toEqual([
      {
        message: 'unknown key "timout" in topologies.queen.wait',
        pos: { file: 'stackcheck.yml', line: 5, column: 13 },
        hint: 'Did you mean "timeout"?',
      },
    ]);
  });

  it('reports wrong values and missing keys at their positions', () => {
    const p = problems({
      'stackcheck.yml':
        'version: 2\nname: "bad name"\ntopologies:\n  t:\n    wait: { timeout: soon }\n',
    });
    expect(p).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          message: expect.stringContaining('version'),
          pos: { file: 'stackcheck.yml', line: 1, column: 10 },
        }),
        expect.objectContaining({
          message: expect.stringContaining('Suite names use letters'),
          pos: { file: 'stackcheck.yml', line: 2, column: 7 },
        }),
        expect.objectContaining({
          message:
            'topologies.t.wait.timeout: expected a duration with a unit, like 500ms, 30s or 2m',
          pos: { file: 'stackcheck.yml', line: 5, column: 22 },
        }),
        expect.objectContaining({
          message: expect.stringContaining('needs `compose:` files or inline `services:`'),
          pos: { file: 'stackcheck.yml', line: 5, column: 5 },
        }),
      ]),
    );
    expect(problems({ 'stackcheck.yml': 'version: 1\ntopologies: {}\n' })).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ message: 'name is required', hint: 'Add "name" here.' }),
      ]),
    );
  });

  it('reports ${VAR:?message} at the value that needs it', () => {
    const p = problems({
      'stackcheck.yml': inline.replace(
        'image: q',
        'image: q\n        environment: { N: "${NUM_GPUS:?set NUM_GPUS}" }',
      ),
    });
    expect(p).toEqual([
      expect.objectContaining({
        message: 'services.queen.environment.N: set NUM_GPUS',
        pos: { file: 'stackcheck.yml', line: 8, column: 27 },
      }),
    ]);
  });

  it('reports compose errors of inline services and of files, all at once', () => {
    const p = problems({
      'stackcheck.yml':
        inline.replace('image: q', 'image: q\n        restart: sometimes') +
        '  files:\n    compose: c.yml\n',
      'c.yml': 'services:\n  a:\n    image: a\n    links: [b]\n',
    });
    expect(p.map((x) => `${x.pos?.file}:${x.pos?.line}:${x.pos?.column}`)).toEqual([
      'stackcheck.yml:8:18',
      'c.yml:4:13',
    ]);
    expect(p[1]!.message).toMatch(/links/);
  });

  it('does not judge references into a topology that did not load; still judges the rest', () => {
    const p = problems({
      'stackcheck.yml':
        inline.replace('image: q', 'image: q\n        restart: sometimes') +
        `  other:
    services:
      web: { image: w }
checks:
  - { name: into the broken topology, http: { service: queen/queen, port: 80 } }
  - { name: "bare: it may be in there", http: { service: queen, port: 80 } }
  - { name: into the good one, http: { service: other/nope, port: 80 } }
`,
    });
    expect(p.map((x) => x.message)).toEqual([
      expect.stringMatching(/restart/),
      'check "into the good one": topology "other" has no service "nope" (services: web)',
    ]);
  });

  it('rejects a topology placed on a node that does not exist', () => {
    const p = problems({
      'stackcheck.yml': inline.replace('    services:', '    node: pc2\n    services:'),
    });
    expect(p).toEqual([
      expect.objectContaining({
        message: 'topology "queen" names node "pc2", which is not defined',
        pos: { file: 'stackcheck.yml', line: 5, column: 11 },
      }),
    ]);
  });

  it('names a missing compose file and a YAML syntax error with positions', () => {
    expect(
      problems({ 'stackcheck.yml': inline + '  more:\n    compose: nope.yml\n' })[0]!.message,
    ).toMatch(/nope\.yml: file not found/);
    expect(problems({ 'stackcheck.yml': 'version: 1\nname: [x\n' })[0]).toMatchObject({
      message: expect.stringMatching(/^YAML syntax/),
      pos: { file: 'stackcheck.yml' },
    });
  });

  it('exports a JSON Schema generated from the same zod schema', () => {
    const schema = manifestJsonSchema() as {
      properties: Record<string, unknown>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(schema.required).toEqual(['version', 'name', 'topologies']);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        'version',
        'name',
        'nodes',
        'topologies',
        'checks',
        'scenarios',
        'matrix',
        'secrets',
      ]),
    );
    expect(schema.additionalProperties).toBe(false);
  });
});
