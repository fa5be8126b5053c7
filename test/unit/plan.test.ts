import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import { plan } from '../../src/orchestrator/plan.js';
import { dependsOn, service, suite, topology } from '../support/specs.js';

describe('plan', () => {
  it('orders services after their dependencies and assigns tiers', () => {
    const p = plan(
      suite([
        topology('shop', [
          service('web', { dependsOn: dependsOn('api') }),
          service('api', { dependsOn: dependsOn('db', 'cache') }),
          service('db'),
          service('cache'),
          service('lonely'),
        ]),
      ]),
      'r1',
    );
    const t = p.topologies[0]!;
    const order = t.services.map((s) => s.spec.name);
    expect(order.indexOf('db')).toBeLessThan(order.indexOf('api'));
    expect(order.indexOf('cache')).toBeLessThan(order.indexOf('api'));
    expect(order.indexOf('api')).toBeLessThan(order.indexOf('web'));
    const tier = Object.fromEntries(t.services.map((s) => [s.spec.name, s.tier]));
    expect(tier).toEqual({ db: 0, cache: 0, api: 1, web: 2, lonely: 0 });
    const dependents = Object.fromEntries(t.services.map((s) => [s.spec.name, s.dependents]));
    expect(dependents.db).toEqual(['api']);
    expect(dependents.api).toEqual(['web']);
  });

  it('names everything with the run id so concurrent runs never collide', () => {
    const t = plan(suite([topology('Shop', [service('web', { replicas: 2 })])]), 'abcd1234')
      .topologies[0]!;
    expect(t.services[0]!.containerNames).toEqual([
      'sc-abcd1234-shop-web-1',
      'sc-abcd1234-shop-web-2',
    ]);
    expect(t.networks.map((n) => n.engineName)).toEqual(['sc-abcd1234-shop_default']);
    expect(t.services[0]!.networks).toEqual([
      { name: 'sc-abcd1234-shop_default', aliases: ['web'] },
    ]);
  });

  it('keeps container_name reachable as an alias and never creates external networks', () => {
    const t = plan(
      suite([
        topology(
          'q',
          [
            service('queen', {
              containerName: 'queen-rbee',
              networks: { edge: { aliases: ['q'] } },
            }),
          ],
          {
            networks: {
              edge: {
                name: 'edge',
                driverOpts: {},
                internal: false,
                attachable: false,
                enableIpv6: false,
                labels: {},
                external: true,
                externalName: 'shared-edge',
                pos: { file: 'x', line: 1, column: 1 },
              },
            },
          },
        ),
      ]),
      'r',
    ).topologies[0]!;
    expect(t.networks).toMatchObject([{ key: 'edge', engineName: 'shared-edge', create: false }]);
    expect(t.services[0]!.networks).toEqual([
      { name: 'shared-edge', aliases: ['queen', 'queen-rbee', 'q'] },
    ]);
  });

  it('makes a linked service reachable under its link alias', () => {
    const t = plan(
      suite([
        topology('l', [
          service('db'),
          service('app', {
            links: [{ service: 'db', alias: 'database', pos: { file: 'f', line: 1, column: 1 } }],
          }),
        ]),
      ]),
      'r',
    ).topologies[0]!;
    expect(t.services.find((s) => s.spec.name === 'db')!.networks[0]!.aliases).toEqual([
      'db',
      'database',
    ]);
  });

  it('marks services that a dependent waits to complete', () => {
    const t = plan(
      suite([
        topology('m', [
          service('migrate'),
          service('app', {
            dependsOn: {
              migrate: {
                condition: 'service_completed_successfully',
                required: true,
                pos: { file: 'f', line: 1, column: 1 },
              },
            },
          }),
        ]),
      ]),
      'r',
    ).topologies[0]!;
    expect(t.services.find((s) => s.spec.name === 'migrate')!.mustComplete).toBe(true);
    expect(t.services.find((s) => s.spec.name === 'app')!.mustComplete).toBe(false);
  });

  it('reports a dependency cycle with its path at the depends_on entry that closes it', () => {
    const at = (line: number) => ({
      condition: 'service_started' as const,
      required: true,
      pos: { file: 'c.yml', line, column: 7 },
    });
    const s = suite([
      topology('loop', [
        service('a', { dependsOn: { b: at(3) } }),
        service('b', { dependsOn: { c: at(6) } }),
        service('c', { dependsOn: { a: at(9) } }),
      ]),
    ]);
    try {
      plan(s, 'r');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      expect((e as UserError).problems).toEqual([
        expect.objectContaining({
          message: 'dependency cycle in topology "loop": a → b → c → a',
          pos: { file: 'c.yml', line: 9, column: 7 },
        }),
      ]);
    }
  });
});
