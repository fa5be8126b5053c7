import { stringify } from 'yaml';
import { formatPos } from '../common/errors.js';
import { UserError } from '../common/errors.js';
import { didYouMean } from '../common/suggest.js';
import { toComposeJson } from '../compose/to-compose.js';
import { loadSuites } from '../manifest/load.js';

/**
 * `stackcheck config`: each topology's compose model as stackcheck resolved it (include,
 * extends, overrides, interpolation, profiles), in the shape of `docker compose config`, so
 * the two can be diffed. One topology prints its model alone; several print one model per
 * topology, keyed by name (by "name [matrix values]" for a matrix). Warnings (ignored keys,
 * unset variables) go to stderr so stdout stays a clean document.
 */
export function configCommand(
  cmd: { manifest: string; topology?: string; format: 'json' | 'yaml' },
  out: (s: string) => void,
  err: (s: string) => void,
): number {
  const suites = loadSuites(cmd.manifest);
  const models: [string, unknown][] = [];
  for (const suite of suites) {
    const combo = suite.matrix
      ? ` [${Object.entries(suite.matrix)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}]`
      : '';
    for (const w of suite.warnings) err(`warning: ${formatPos(w.pos)}: ${w.message}`);
    for (const t of suite.topologies) {
      if (cmd.topology === undefined || t.name === cmd.topology)
        models.push([t.name + combo, toComposeJson(t.project)]);
    }
  }
  if (models.length === 0) {
    const names = suites[0]?.topologies.map((t) => t.name) ?? [];
    throw new UserError({
      message: `topology "${cmd.topology}" is not defined in ${cmd.manifest}`,
      hint: didYouMean(cmd.topology ?? '', names) || `Topologies: ${names.join(', ')}.`,
    });
  }
  const doc = models.length === 1 ? models[0]![1] : Object.fromEntries(models);
  out(cmd.format === 'json' ? JSON.stringify(doc, null, 2) : stringify(doc).trimEnd());
  return 0;
}
