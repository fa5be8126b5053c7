import { errorMessage, UserError } from '../common/errors.js';
import type { NodeSpec } from '../manifest/suite.js';
import { DockerEngine } from './docker.js';
import type { Engine, EngineInfo } from './engine.js';

const CONNECT_MS = 15_000;

export type EngineFactory = (node: NodeSpec) => Engine;

export const dockerEngineFor: EngineFactory = (node) =>
  new DockerEngine({ node: node.name, url: node.docker, tls: node.tls, identity: node.identity });

/** The engine a node names: its `docker:`, else DOCKER_HOST, else the local socket. */
export function engineUrl(node: Pick<NodeSpec, 'docker'>): string {
  return node.docker ?? process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/** Opens the node's engine and proves it answers; an engine that does not is the user's to fix (exit 2). */
export async function connect(
  node: NodeSpec,
  factory: EngineFactory = dockerEngineFor,
): Promise<{ engine: Engine; info: EngineInfo }> {
  const engine = factory(node);
  try {
    return { engine, info: await engine.info(AbortSignal.timeout(CONNECT_MS)) };
  } catch (e) {
    await engine.close();
    const url = engineUrl(node);
    throw new UserError({
      message: `the Docker engine of node "${node.name}" (${url}) does not answer: ${errorMessage(e)}`,
      hint: node.docker
        ? 'Check that the engine runs and that this machine can reach it (address, port, TLS files, ssh key).'
        : "Start Docker (or Podman's socket), or point DOCKER_HOST at a running engine; scripts/ensure-docker.sh installs one on Debian/Ubuntu.",
    });
  }
}
