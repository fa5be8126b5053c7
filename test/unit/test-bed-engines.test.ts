import { describe, expect, it } from 'vitest';
import { fromEnv } from '../support/engines.js';

// The test bed's engine list (test/support/engines.ts), read from scripts/engines.sh's lines.
describe('testEngines: the lines of scripts/engines.sh env', () => {
  it('lists each engine with its url and namespace, the machine’s first, then by kind and version', () => {
    expect(
      fromEnv({
        STACKCHECK_ENGINE_PODMAN5: 'unix:///run/stackcheck-p5/podman.sock',
        STACKCHECK_ENGINE_PODMAN5_NETNS: 'sc-p5',
        STACKCHECK_ENGINE_PODMAN5_ADDRESS: '10.244.0.2',
        STACKCHECK_ENGINE_DOCKER28: 'unix:///run/stackcheck-d28/docker.sock',
        STACKCHECK_ENGINE_DOCKER28_NETNS: 'sc-d28',
        STACKCHECK_ENGINE_DOCKER20: 'unix:///var/run/docker.sock',
      }),
    ).toEqual([
      { name: 'docker20', dockerHost: 'unix:///var/run/docker.sock' },
      { name: 'docker28', dockerHost: 'unix:///run/stackcheck-d28/docker.sock', netns: 'sc-d28' },
      {
        name: 'podman5',
        dockerHost: 'unix:///run/stackcheck-p5/podman.sock',
        netns: 'sc-p5',
        address: '10.244.0.2',
      },
    ]);
  });

  it('leaves out an engine whose url is empty (a variable cleared to drop it)', () => {
    expect(
      fromEnv({
        STACKCHECK_ENGINE_DOCKER20: 'unix:///var/run/docker.sock',
        STACKCHECK_ENGINE_DOCKER26: '',
      }),
    ).toEqual([{ name: 'docker20', dockerHost: 'unix:///var/run/docker.sock' }]);
  });
});
