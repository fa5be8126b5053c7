import { Ajv, type ValidateFunction } from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/action/inputs.js';

// Every workflow this repository ships, and action.yml, checked against the published JSON
// Schemas (SchemaStore's github-workflow.json and github-action.json, vendored in
// test/fixtures/schemas: see the README there), then against what the schemas cannot know:
// inputs the action really has, and the Gitea copies kept in step with the GitHub ones.

const schemas = 'test/fixtures/schemas';
const ajv = new Ajv({ strict: false, allErrors: true });
const validateWorkflow = ajv.compile(
  JSON.parse(readFileSync(join(schemas, 'github-workflow.json'), 'utf8')),
);
const validateAction = ajv.compile(
  JSON.parse(readFileSync(join(schemas, 'github-action.json'), 'utf8')),
);

type Doc = Record<string, unknown>;
const load = (file: string) => parse(readFileSync(file, 'utf8')) as Doc;

const WORKFLOW_DIRS = [
  '.github/workflows',
  '.gitea/workflows',
  'workflows/github',
  'workflows/gitea',
];
const workflows = WORKFLOW_DIRS.flatMap((d) =>
  readdirSync(d)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(d, f)),
);

function errorsOf(validate: ValidateFunction, doc: unknown): string {
  return validate(doc)
    ? ''
    : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('\n');
}

/** Every `uses:` of a step, or of a job (reusable workflow calls), in a workflow. */
function uses(doc: Doc): { uses: string; with: Record<string, unknown> }[] {
  return Object.values((doc.jobs as Record<string, Doc>) ?? {}).flatMap((job) => [
    ...(job.uses
      ? [{ uses: job.uses as string, with: (job.with as Record<string, unknown>) ?? {} }]
      : []),
    ...((job.steps as Doc[] | undefined) ?? [])
      .filter((s) => s.uses)
      .map((s) => ({ uses: s.uses as string, with: (s.with as Record<string, unknown>) ?? {} })),
  ]);
}

const action = load('action.yml');
const actionInputs = Object.keys(action.inputs as Doc);

describe('action.yml', () => {
  it('is valid against the github-action schema', () => {
    expect(errorsOf(validateAction, action)).toBe('');
  });

  it('runs main and post on node24, post always', () => {
    expect(action.runs).toEqual({
      using: 'node24',
      main: 'dist/index.js',
      post: 'dist/post.js',
      'post-if': 'always()',
    });
  });

  it('has the defaults the code applies when the runner does not', () => {
    const defaults = Object.fromEntries(
      Object.entries(action.inputs as Record<string, { default?: string }>).map(([k, v]) => [
        k,
        String(v.default ?? ''),
      ]),
    );
    expect(defaults).toEqual(DEFAULTS);
  });

  it('declares every output the action sets', () => {
    // The action's own outputs, and the reports' (published through the action's sink).
    const files = [
      ...readdirSync('src/action').map((f) => join('src/action', f)),
      'src/report/publish.ts',
    ];
    const code = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    const set = [...code.matchAll(/setOutput\('([\w-]+)'/g)].map((m) => m[1]);
    expect(Object.keys(action.outputs as Doc).sort()).toEqual([...new Set(set)].sort());
  });
});

describe.each(workflows)('%s', (file) => {
  const doc = load(file);

  it('is valid against the github-workflow schema', () => {
    expect(errorsOf(validateWorkflow, doc)).toBe('');
  });

  it('passes the action only inputs it has', () => {
    for (const u of uses(doc).filter((x) => /^stackcheck\/stackcheck@|^\.\/?$/.test(x.uses))) {
      for (const key of Object.keys(u.with)) expect(actionInputs, `${file}: ${key}`).toContain(key);
    }
  });

  it('calls reusable workflows with inputs they declare, and all they require', () => {
    for (const u of uses(doc).filter((x) => x.uses.includes('/workflows/'))) {
      const m = /^stackcheck\/stackcheck\/(\.git(?:hub|ea)\/workflows\/[\w.-]+)@/.exec(u.uses);
      expect(m, `${file}: ${u.uses}`).not.toBeNull();
      const called = load(m![1]!) as {
        on: { workflow_call: { inputs: Record<string, { default?: unknown }> } };
      };
      const inputs = called.on.workflow_call.inputs;
      for (const key of Object.keys(u.with))
        expect(Object.keys(inputs), `${file}: ${key}`).toContain(key);
      for (const [key, spec] of Object.entries(inputs)) {
        if (spec.default === undefined)
          expect(u.with, `${file} must pass ${key}`).toHaveProperty(key);
      }
    }
  });

  if (file.startsWith('.gitea/') || file.startsWith('workflows/gitea/')) {
    it('uses the v3 artifact actions (v4 refuses hosts other than GitHub)', () => {
      const artifact = uses(doc).filter((u) => /actions\/(up|down)load-artifact@/.test(u.uses));
      for (const u of artifact) expect(u.uses).toMatch(/@v3$/);
    });
  }
});

describe('the schemas catch mistakes', () => {
  it('in a workflow', () => {
    const bad = load('workflows/github/single-node.yml');
    const job = (bad.jobs as Record<string, Doc>).stackcheck!;
    delete job['runs-on'];
    job['timeout-minute'] = 5;
    expect(errorsOf(validateWorkflow, bad)).not.toBe('');
  });

  it('in action.yml', () => {
    expect(
      errorsOf(validateAction, { ...action, runs: { using: 'node99', main: 'x.js' } }),
    ).not.toBe('');
    const inputs = { ...(action.inputs as Doc), oops: { default: 'x' } };
    expect(errorsOf(validateAction, { ...action, inputs })).not.toBe('');
  });
});

describe('reusable workflows', () => {
  for (const name of ['stackcheck.yml', 'stackcheck-matrix.yml']) {
    it(`${name} is called with workflow_call, and its Gitea copy differs only where Gitea needs it`, () => {
      const gh = load(join('.github/workflows', name));
      expect(Object.keys(gh.on as Doc)).toEqual(['workflow_call']);
      // v3's download has no `pattern` (it takes every artifact); otherwise equal.
      const normalize = (doc: Doc): unknown =>
        JSON.parse(
          JSON.stringify(doc).replace(
            /actions\/(up|down)load-artifact@v\d/g,
            'actions/$1load-artifact',
          ),
          (key, value: unknown) => (key === 'pattern' ? undefined : value),
        );
      expect(normalize(load(join('.gitea/workflows', name)))).toEqual(normalize(gh));
    });
  }
});
