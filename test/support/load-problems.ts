import { UserError } from '../../src/common/errors.js';
import { loadSuite } from '../../src/manifest/load.js';
import { workdir } from './cli.js';

/**
 * Loads `head + body` as a manifest and returns its problems as "line:col: message", lines
 * counted from the first line of `body`; none when it loads.
 */
export function loadProblems(head: string, body: string): string[] {
  const first = head.split('\n').length;
  const dir = workdir({ 'stackcheck.yml': head + body });
  try {
    loadSuite(`${dir}/stackcheck.yml`, { env: {} });
  } catch (e) {
    if (e instanceof UserError)
      return e.problems.map((p) => `${p.pos!.line - first + 1}:${p.pos!.column}: ${p.message}`);
    throw e;
  }
  return [];
}
