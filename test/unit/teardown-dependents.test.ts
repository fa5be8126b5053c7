import { describe, expect, it } from 'vitest';
import { EngineError, type Engine } from '../../src/engine/engine.js';
import { FakeEngine } from '../../src/engine/fake.js';
import { teardownRun } from '../../src/orchestrator/down.js';
import { LABEL } from '../../src/common/labels.js';

const IMAGE = 'stackcheck-fixture/app:1';
const RUN = 'r1';

/**
 * Podman's refusal, on top of the fake: a container that another still joins the network
 * namespace of cannot be removed (Docker removes it). The joiner's removal is the slower one,
 * as a probe sidecar's was against a service's on Podman 5.
 */
function refusingWhileJoined(fake: FakeEngine, owner: string, joiner: string): Engine {
  return new Proxy(fake, {
    get(target, prop, receiver) {
      if (prop !== 'removeContainer') return Reflect.get(target, prop, receiver) as unknown;
      return async (id: string) => {
        if (id === joiner) await new Promise((r) => setTimeout(r, 20));
        const present = (await target.listContainers({ [LABEL.run]: RUN })).some(
          (c) => c.id === joiner,
        );
        if (id === owner && present)
          throw new EngineError(
            500,
            `container ${owner} has dependent containers which must be removed before it: ${joiner}: container already exists`,
          );
        return target.removeContainer(id);
      };
    },
  });
}

describe('teardown of containers that others join the namespaces of', () => {
  it('removes the joined container once its joiners are gone, and reports no error', async () => {
    const fake = new FakeEngine({ images: [IMAGE] });
    const labels = { [LABEL.run]: RUN };
    const owner = await fake.runSidecar({ name: 'svc-1', image: IMAGE, cmd: ['x'], labels });
    const joiner = await fake.runSidecar({
      name: 'svc-1-probe',
      image: IMAGE,
      cmd: ['sleep', '86400'],
      labels: { ...labels, [LABEL.role]: 'probe' },
      networkOf: owner,
    });
    const report = await teardownRun(refusingWhileJoined(fake, owner, joiner), RUN);
    expect(report.errors).toEqual([]);
    expect(report.containers).toBe(2);
    expect(await fake.listContainers(labels)).toEqual([]);
  });

  it('reports the refusal, with the engine message, when the joiner never goes', async () => {
    const fake = new FakeEngine({ images: [IMAGE] });
    const labels = { [LABEL.run]: RUN };
    const owner = await fake.runSidecar({ name: 'svc-1', image: IMAGE, cmd: ['x'], labels });
    // A joiner outside the run (its label does not list it) keeps the owner from going.
    const outsider = await fake.runSidecar({
      name: 'other',
      image: IMAGE,
      cmd: ['x'],
      labels: {},
      networkOf: owner,
    });
    const engine = new Proxy(fake, {
      get(target, prop, receiver) {
        if (prop !== 'removeContainer') return Reflect.get(target, prop, receiver) as unknown;
        return async (id: string) => {
          if (id === owner)
            throw new EngineError(
              500,
              `container ${owner} has dependent containers which must be removed before it: ${outsider}: container already exists`,
            );
          return target.removeContainer(id);
        };
      },
    });
    const report = await teardownRun(engine, RUN);
    expect(report.containers).toBe(0);
    expect(report.errors).toEqual([
      expect.stringMatching(/^removing container svc-1: .*has dependent containers/),
    ]);
  });
});
