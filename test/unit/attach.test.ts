/**
 * Attach on the in-memory engine: what is found, missing, unhealthy or extra; that an attached
 * project's containers are never created, stopped or removed; that what an allowed scenario
 * stops is started again by every teardown path; the load-time refusals; chaos's seeded choice.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { UserError, type Problem } from '../../src/common/errors.js';
import type { ServiceSpec } from '../../src/compose/model.js';
import { FakeEngine } from '../../src/engine/fake.js';
import { composeProjectName } from '../../src/manifest/attach.js';
import { loadSuite } from '../../src/manifest/load.js';
import type { Suite, TopologySpec } from '../../src/model/suite.js';
import { COMPOSE_LABEL } from '../../src/orchestrator/attach.js';
import { LABEL } from '../../src/common/labels.js';
import { recordAttached } from '../../src/orchestrator/restore.js';
import { sweep } from '../../src/orchestrator/sweep.js';
import { run } from '../../src/run.js';
import { choose } from '../../src/scenarios/steps/chaos.js';
import { workdir } from '../support/cli.js';
import { service, suite, topology } from '../support/specs.js';

const IMAGE = 'stackcheck-fixture/busybox:1';
const pos = { file: 'test.yml', line: 1, column: 1 };
const healthcheck: ServiceSpec['healthcheck'] = { disable: false, test: ['CMD', 'true'], pos };

/** A container as `docker compose up` leaves it: compose's labels, no stackcheck label. */
async function composeContainer(
  fake: FakeEngine,
  project: string,
  svc: string,
  n = 1,
  spec: ServiceSpec = service(svc),
): Promise<string> {
  const id = await fake.createContainer({
    name: `${project}-${svc}-${n}`,
    image: IMAGE,
    service: spec,
    labels: {
      [COMPOSE_LABEL.project]: project,
      [COMPOSE_LABEL.service]: svc,
      [COMPOSE_LABEL.number]: String(n),
      [COMPOSE_LABEL.oneoff]: 'False',
    },
    networks: [],
    volumeNames: {},
    ephemeralPorts: false,
  });
  await fake.startContainer(id);
  return id;
}

function attached(t: TopologySpec, allow: ('lifecycle' | 'faults')[] = []): TopologySpec {
  return {
    ...t,
    stableMs: 0,
    waitTimeoutMs: 5_000,
    attach: { project: 'shop', containers: {}, allow },
  };
}

/** The calls that would change a container of the project (its names start with `shop-`). */
function changesTo(fake: FakeEngine): string[] {
  return fake.calls
    .filter(
      (c) =>
        c.target.startsWith('shop-') &&
        /^(create|start|stop|remove|kill|pause|unpause)Container$/.test(c.op),
    )
    .map((c) => `${c.op} ${c.target}`);
}

async function runOnFake(s: Suite, fake: FakeEngine) {
  const before = fake.calls.length;
  const results = await run(s, { engineFactory: () => fake });
  return { results, calls: fake.calls.slice(before) };
}

describe('attach on the fake engine', () => {
  it('reports each service as found, missing, unhealthy or extra, and creates, stops or removes nothing of the project', async () => {
    const fake = new FakeEngine({ images: [IMAGE] });
    const web = service('web', { healthcheck });
    const api = service('api', { healthcheck });
    fake.setHealth('shop-api-1', { unhealthyAfterMs: 0 });
    await composeContainer(fake, 'shop', 'web', 1, web);
    await composeContainer(fake, 'shop', 'web', 2, web);
    await composeContainer(fake, 'shop', 'api', 1, api);
    await composeContainer(fake, 'shop', 'cache');
    await composeContainer(fake, 'other', 'db'); // another project's: not looked at
    const s = suite([attached(topology('shop', [web, api, service('db')]))]);
    const setup = fake.calls.length;

    const { results } = await runOnFake(s, fake);

    const t = results.topologies[0]!;
    expect(t.status).toBe('failed');
    expect(t.attached).toEqual({
      project: 'shop',
      services: [
        { name: 'web', state: 'found', containers: ['shop-web-1', 'shop-web-2'] },
        {
          name: 'api',
          state: 'unhealthy',
          containers: ['shop-api-1'],
          message: 'service "api" is unhealthy',
        },
        {
          name: 'db',
          state: 'missing',
          containers: [],
          message:
            'service "db" is missing: no container of compose project "shop" on node "local" has com.docker.compose.service=db',
        },
        {
          name: 'cache',
          state: 'extra',
          containers: ['shop-cache-1'],
          message:
            'compose project "shop" runs service "cache", which the compose files do not define',
        },
      ],
    });
    expect(t.services.map((x) => [x.name, x.status])).toEqual([
      ['web', 'healthy'],
      ['api', 'failed'],
      ['db', 'failed'],
    ]);
    expect(t.failure?.message).toBe('service "api" is unhealthy');
    expect(
      fake.calls.slice(setup).filter((c) => /^(create|start|stop|remove|kill|pause)/.test(c.op)),
    ).toEqual([]);
    expect(fake.containers({ [COMPOSE_LABEL.project]: 'shop' }).map((c) => c.status)).toEqual([
      'running',
      'running',
      'running',
      'running',
    ]);
    expect(results.teardown).toEqual({
      kept: false,
      containers: 0,
      networks: 0,
      volumes: 0,
      errors: [],
    });
  });

  it('finds containers by the names the manifest gives, and the rest by label', async () => {
    const fake = new FakeEngine({ images: [IMAGE] });
    const named = await composeContainer(fake, 'elsewhere', 'legacy');
    await composeContainer(fake, 'shop', 'web');
    const t = attached(topology('shop', [service('web'), service('db')]));
    t.attach!.containers = { db: ['elsewhere-legacy-1'] };
    const { results } = await runOnFake(suite([t]), fake);
    expect(results.topologies[0]!.status).toBe('passed');
    expect(results.topologies[0]!.attached!.services).toEqual([
      { name: 'web', state: 'found', containers: ['shop-web-1'] },
      { name: 'db', state: 'found', containers: ['elsewhere-legacy-1'] },
    ]);
    expect(fake.container(named).status).toBe('running');
  });

  it('an allowed stop is started again at the end: same container, same id', async () => {
    const fake = new FakeEngine({ images: [IMAGE] });
    const id = await composeContainer(fake, 'shop', 'web');
    const s = suite([attached(topology('shop', [service('web')]), ['lifecycle'])]);
    s.scenarios = [
      {
        name: 'stop web',
        pos,
        steps: [
          {
            index: 0,
            key: 'stop',
            name: 'stop web',
            entry: { stop: { service: 'web' } },
            targets: [],
            pos,
          },
        ],
      },
    ];
    const { results } = await runOnFake(s, fake);
    expect(results.scenarios[0]!.status).toBe('passed');
    expect(results.teardown).toMatchObject({
      kept: false,
      volumes: 1, // the restore record, and nothing of the project
      errors: [],
      restored: ['started shop-web-1 again (it was exited, exit code 0)'],
    });
    expect(fake.container(id).status).toBe('running');
    expect(changesTo(fake)).toEqual([
      'createContainer shop-web-1', // the test's own `docker compose up`
      'startContainer shop-web-1',
      'stopContainer shop-web-1', // the scenario's stop
      'startContainer shop-web-1', // the restore
    ]);
  });

  it('after the runner died, the sweep (as `stackcheck down` runs it) restores what was recorded, and only that', async () => {
    const fake = new FakeEngine({ images: [IMAGE] });
    const web = await composeContainer(fake, 'shop', 'web');
    const api = await composeContainer(fake, 'shop', 'api');
    const db = await composeContainer(fake, 'shop', 'db');
    const labels = { [LABEL.run]: 'dead0001', [LABEL.suite]: 'unit' };
    await recordAttached(fake, labels, 'shop', [web, api], AbortSignal.timeout(1000));
    await fake.stopContainer(web, 0); // what the dead run's scenario did
    await fake.pauseContainer(api);
    await fake.stopContainer(db, 0); // stopped by someone else: not ours to start
    const [swept] = await sweep(fake, { runId: 'dead0001' });
    expect(swept!.report.restored).toEqual([
      'started shop-web-1 again (it was exited, exit code 0)',
      'unpaused shop-api-1',
    ]);
    expect(swept!.report.volumes).toBe(1);
    expect([web, api, db].map((id) => fake.container(id).status)).toEqual([
      'running',
      'running',
      'exited',
    ]);
    expect(fake.resources({ [LABEL.run]: 'dead0001' })).toEqual({
      containers: [],
      networks: [],
      volumes: [],
    });
  });
});

describe('attach in the manifest', () => {
  const compose = `services:
  web: { image: ${IMAGE} }
  api: { image: ${IMAGE} }
`;
  function load(topo: string, scenarios: string): Problem[] | Suite {
    const dir = workdir({
      'site/compose.yml': compose,
      'stackcheck.yml': `version: 1
name: t
topologies:
  site:
    compose: site/compose.yml
${topo}
scenarios:
${scenarios}`,
    });
    try {
      return loadSuite(join(dir, 'stackcheck.yml'));
    } catch (e) {
      if (e instanceof UserError) return e.problems;
      throw e;
    }
  }
  const where = (ps: Problem[] | Suite) =>
    (ps as Problem[]).map((p) => `${p.pos?.line}:${p.pos?.column} ${p.message}`);

  it('takes the project name from the compose folder as compose does, or from `project:`', () => {
    expect(composeProjectName('/srv/My Shop.v2')).toBe('myshopv2');
    expect(composeProjectName('/srv/_stack')).toBe('stack');
    const s = load('    attach: true', '  - name: look\n    steps: [{ sleep: 1s }]\n') as Suite;
    expect(s.topologies[0]!.attach).toEqual({ project: 'site', containers: {}, allow: [] });
    const p = load(
      '    attach: { project: shop-prod, containers: { api: api-legacy } }\n    allow: [faults]',
      '  - name: look\n    steps: [{ sleep: 1s }]\n',
    ) as Suite;
    expect(p.topologies[0]!.attach).toEqual({
      project: 'shop-prod',
      containers: { api: ['api-legacy'] },
      allow: ['faults'],
    });
  });

  it('refuses lifecycle steps and faults on an attached topology at their line, unless allowed', () => {
    const scenarios = `  - name: disturb
    steps:
      - crash: { service: web }
      - stop: { service: site/api }
      - partition: { between: [web, api] }
      - down: { node: local }
      - restart: { topology: site }
      - chaos: { among: [web, api], seed: 1 }
      - check: { state: { service: web, running: true } }
      - heal: all
`;
    expect(where(load('    attach: true', scenarios))).toEqual([
      '10:27 step crash: crash would disturb attached topology "site" (compose project "site"), which allows no lifecycle steps',
      '11:26 step stop: stop would disturb attached topology "site" (compose project "site"), which allows no lifecycle steps',
      '12:32 step partition: partition would disturb attached topology "site" (compose project "site"), which allows no faults steps',
      '13:23 step down: down would disturb attached topology "site" (compose project "site"), which allows no faults steps',
      '14:30 step restart: restart would disturb attached topology "site" (compose project "site"), which allows no lifecycle steps',
      '15:26 step chaos: chaos would disturb attached topology "site" (compose project "site"), which allows no lifecycle steps',
    ]);
    expect(where(load('    attach: true\n    allow: [lifecycle]', scenarios))).toEqual([
      '13:32 step partition: partition would disturb attached topology "site" (compose project "site"), which allows no faults steps',
      '14:23 step down: down would disturb attached topology "site" (compose project "site"), which allows no faults steps',
    ]);
    expect(load('    attach: true\n    allow: [lifecycle, faults]', scenarios)).toHaveProperty(
      'topologies',
    );
    // A topology stackcheck creates may always be disturbed.
    expect(load('', scenarios)).toHaveProperty('topologies');
  });

  it('refuses a recreate whatever `allow` says, names the fix, and refuses `allow` without `attach`', () => {
    const problems = load(
      '    attach: true\n    allow: [lifecycle, faults]',
      '  - name: redeploy\n    steps:\n      - recreate: { service: web }\n',
    ) as Problem[];
    expect(where(problems)).toEqual([
      '11:30 step recreate: recreate would replace containers of attached topology "site" (compose project "site"), which stackcheck never does: the deployed stack must end with the containers it had',
    ]);
    expect(problems[0]!.hint).toMatch(/Use `restart` instead/);
    const hint = (
      load(
        '    attach: true',
        '  - name: s\n    steps: [{ kill: { service: web } }]\n',
      ) as Problem[]
    )[0]!.hint;
    expect(hint).toBe(
      'Add `allow: [lifecycle]` to topology "site" to let scenarios disturb the deployed stack; whatever they stop or pause is started again at the end.',
    );
    expect(
      where(load('    allow: [lifecycle]', '  - name: s\n    steps: [{ sleep: 1s }]\n')),
    ).toEqual([
      '6:12 topologies.site.allow: `allow` is for attached topologies (`attach: true`): a topology stackcheck creates may always be disturbed',
    ]);
    expect(
      where(
        load(
          '    attach: { containers: { nope: x } }',
          '  - name: s\n    steps: [{ sleep: 1s }]\n',
        ),
      ),
    ).toEqual([
      '6:35 attach.containers names service "nope", which the compose files do not define (services: web, api)',
    ]);
  });
});

describe('chaos: a seeded choice', () => {
  const byNode = new Map([
    ['main', ['a#1', 'a#2', 'b#1', 'c#1']],
    ['pc2', ['d#1', 'e#1']],
  ]);

  it('the same seed picks the same units; each node gets its own pick, never more than it has', () => {
    const first = choose(byNode, 2, 424242);
    expect(choose(byNode, 2, 424242)).toEqual(first);
    expect(first.map((p) => [p.node, p.units.length, p.of])).toEqual([
      ['main', 2, 4],
      ['pc2', 2, 2],
    ]);
    expect(new Set(first[0]!.units).size).toBe(2);
    expect(choose(byNode, 9, 1).map((p) => p.units.length)).toEqual([4, 2]);
  });

  it('different seeds pick differently', () => {
    const picks = new Set(
      Array.from({ length: 20 }, (_, seed) => choose(byNode, 1, seed)[0]!.units[0]),
    );
    expect(picks.size).toBe(4); // every unit of node main is chosen by some seed
  });
});
