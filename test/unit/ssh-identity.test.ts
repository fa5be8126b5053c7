import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isUserError } from '../../src/common/errors.js';
import { dockerodeOptions } from '../../src/engine/docker.js';
import { SshDialAgent } from '../../src/engine/ssh-agent.js';
import { loadSuite } from '../../src/manifest/load.js';
import { workdir } from '../support/cli.js';

describe('ssh:// engines: the key file', () => {
  it("a node's identity is read relative to the manifest", () => {
    const dir = workdir({
      'ci/stackcheck.yml': `version: 1
name: keys
nodes:
  pc2: { docker: "ssh://ci@pc2.example", identity: ../keys/ci_ed25519 }
topologies:
  t: { node: pc2, services: { s: { image: x } } }
`,
    });
    const suite = loadSuite(join(dir, 'ci/stackcheck.yml'), { env: {} });
    expect(suite.nodes.pc2!.identity).toBe(join(dir, 'keys/ci_ed25519'));
  });

  it('is offered through shared ssh connections; one that cannot be read is an error naming the node', () => {
    const dir = workdir({ id_ed25519: 'not really a key\n' });
    const o = dockerodeOptions({
      node: 'pc2',
      url: 'ssh://ci@pc2.example:2222',
      identity: join(dir, 'id_ed25519'),
    }) as { host: string; port: number; agent: unknown };
    expect(o).toMatchObject({ host: 'pc2.example', port: 2222 });
    expect(o.agent).toBeInstanceOf(SshDialAgent);

    let err: unknown;
    try {
      dockerodeOptions({ node: 'pc2', url: 'ssh://pc2.example', identity: join(dir, 'missing') });
    } catch (e) {
      err = e;
    }
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^the ssh key file of node "pc2" \\(${join(dir, 'missing')}\\) cannot be read: .*ENOENT`,
      ),
    );
  });
});
