import { join } from 'node:path';
import type { RunResults } from '../../src/model/results.js';
import type { SuiteFilter } from '../../src/manifest/filter.js';
import { loadManifest, runSuites } from '../../src/run-manifest.js';
import type { RunOptions } from '../../src/run.js';
import { workdir } from './cli.js';
import { uniqueSuite } from './engine.js';

/**
 * Writes the files to a fresh folder and runs its stackcheck.yml in this process, against the
 * real engine: faster than the CLI, and the same pipeline. `{{SUITE}}` in the files is replaced by
 * a unique suite name, so leftovers can be asserted per test.
 */
export async function runFiles(
  files: Record<string, string>,
  opts: RunOptions & { env?: Record<string, string>; filter?: SuiteFilter } = {},
): Promise<{ results: RunResults; suite: string; dir: string }> {
  const suite = uniqueSuite('it');
  const dir = workdir(
    Object.fromEntries(
      Object.entries(files).map(([k, v]) => [k, v.replaceAll('{{SUITE}}', suite)]),
    ),
  );
  const { suites } = loadManifest(join(dir, 'stackcheck.yml'), {
    env: { ...process.env, ...opts.env },
    filter: opts.filter,
  });
  return { results: await runSuites(suites, opts), suite, dir };
}

/** The check results by name, for assertions. */
export function checksByName(r: RunResults) {
  return Object.fromEntries(r.checks.map((c) => [c.name, c]));
}
