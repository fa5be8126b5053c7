import { describe, expect, it } from 'vitest';
import { acrossReplicas } from '../../src/live/replicas.js';
import type { Replica } from '../../src/model/refs.js';
import type { Outcome } from '../../src/model/check.js';

const replicas: Replica[] = [1, 2, 3].map((index) => ({
  topology: 't',
  service: 'w',
  node: 'local',
  containerId: `id${index}`,
  containerName: `w-${index}`,
  index,
}));

const by = (statuses: Outcome['status'][]) => (r: Replica) =>
  Promise.resolve({
    status: statuses[r.index - 1]!,
    message: `r${r.index} ${statuses[r.index - 1]}`,
    evidence: {},
  });

describe('checks across replicas', () => {
  it('needs every replica to pass, and names the one that did not', async () => {
    expect(await acrossReplicas(replicas, false, by(['passed', 'passed', 'passed']))).toMatchObject(
      { status: 'passed', message: '3/3 replicas passed' },
    );
    expect(await acrossReplicas(replicas, false, by(['passed', 'failed', 'passed']))).toMatchObject(
      {
        status: 'failed',
        message: '2/3 replicas passed; w-2: r2 failed',
      },
    );
  });

  it('with `any`, one passing replica is enough', async () => {
    expect(await acrossReplicas(replicas, true, by(['failed', 'failed', 'passed']))).toMatchObject({
      status: 'passed',
    });
    expect(await acrossReplicas(replicas, true, by(['failed', 'error', 'failed']))).toMatchObject({
      status: 'failed',
    });
  });

  it('does not count replicas that could not be judged, and is skipped when none could', async () => {
    expect(
      await acrossReplicas(replicas, false, by(['passed', 'skipped', 'passed'])),
    ).toMatchObject({
      status: 'passed',
      message: '2/2 replicas passed (1 could not be judged)',
    });
    expect(
      await acrossReplicas(replicas, false, by(['skipped', 'skipped', 'skipped'])),
    ).toMatchObject({ status: 'skipped', message: 'r1 skipped' });
  });

  it('is an error when every replica errs', async () => {
    expect(await acrossReplicas(replicas, false, by(['error', 'error', 'error']))).toMatchObject({
      status: 'error',
    });
    expect(await acrossReplicas([], false, by([]))).toMatchObject({
      status: 'error',
      message: 'the service has no running container',
    });
  });
});
