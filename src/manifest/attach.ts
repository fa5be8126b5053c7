import { basename } from 'node:path';
import type { ComposeProject } from '../compose/model.js';
import type { TopologyConfig } from './schema.js';
import type { AttachTarget } from '../model/suite.js';

/**
 * The project name compose gives a folder: lower-cased, only letters, digits, `-` and `_`,
 * starting with a letter or digit (compose v2's rule; v1 gives the same for ordinary names).
 */
export function composeProjectName(dir: string): string {
  return basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[^a-z0-9]+/, '');
}

/**
 * The attach target of a topology as the manifest writes it, or undefined when it is not
 * attached; problems (a named service the compose files lack) come with their path.
 */
export function attachTarget(
  config: Pick<TopologyConfig, 'attach' | 'allow'>,
  project: ComposeProject,
): { target?: AttachTarget; problems: { message: string; path: (string | number)[] }[] } {
  const a = config.attach;
  if (a === undefined || a === false) return { problems: [] };
  const opts = a === true ? {} : a;
  const containers = Object.fromEntries(
    Object.entries(opts.containers ?? {}).map(([s, n]) => [s, typeof n === 'string' ? [n] : n]),
  );
  const problems = Object.keys(containers)
    .filter((s) => !project.services[s])
    .map((s) => ({
      message: `attach.containers names service "${s}", which the compose files do not define (services: ${Object.keys(project.services).join(', ')})`,
      path: ['attach', 'containers', s],
    }));
  const target: AttachTarget = {
    project: opts.project ?? project.name ?? composeProjectName(project.projectDir),
    containers,
    allow: config.allow,
  };
  return { target, problems };
}
