import { DockerEngine } from '../../src/engine/docker.js';
import type { Engine, LabelFilter } from '../../src/engine/engine.js';
import { LABEL } from '../../src/common/labels.js';

export const engine = new DockerEngine({ node: 'local' });

/** Everything on the engine labelled with this suite name (or run id, or any run's), by kind. */
export async function leftovers(
  by: { suite: string } | { runId: string } | { anyRun: true },
  on: Engine = engine,
) {
  const filter: LabelFilter =
    'suite' in by
      ? { [LABEL.suite]: by.suite }
      : 'runId' in by
        ? { [LABEL.run]: by.runId }
        : { [LABEL.run]: true };
  const [containers, networks, volumes] = await Promise.all([
    on.listContainers(filter),
    on.listNetworks(filter),
    on.listVolumes(filter),
  ]);
  return {
    containers: containers.map((c) => c.name),
    networks: networks.map((n) => n.name),
    volumes: volumes.map((v) => v.name),
  };
}

export const NOTHING = { containers: [], networks: [], volumes: [] };

/** A suite name no other test or run uses, so assertions about leftovers see only this test's. */
export function uniqueSuite(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** leftovers() on another engine (the test bed's second one), opened for the look and closed. */
export async function leftoversAt(url: string, by: Parameters<typeof leftovers>[0]) {
  const other = new DockerEngine({ node: 'other', url });
  try {
    return await leftovers(by, other);
  } finally {
    await other.close();
  }
}
