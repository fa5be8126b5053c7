import { interpolateTree } from '../common/interpolate.js';
import type { LoadContext, Node } from './node.js';

/**
 * Interpolates the listed keys of a compose mapping. Other keys are left as written: a
 * top-level `x-` block is only a source of YAML anchors, already copied where it is used,
 * so interpolating it too would report each problem twice. Errors (`${VAR:?message}`, bad
 * syntax) become problems at the value; unset variables become warnings there.
 */
export function interpolateKeys(root: Node, keys: readonly string[], ctx: LoadContext): Node {
  if (!root.isMap()) return root;
  const out: Record<string, unknown> = { ...root.value };
  const seen = new Set(
    ctx.warnings.map((w) => `${w.message}@${w.pos.file}:${w.pos.line}:${w.pos.column}`),
  );
  for (const key of keys.filter((k) => root.has(k))) {
    const { value, issues } = interpolateTree(root.value[key], ctx.env);
    out[key] = value;
    for (const issue of issues) {
      const at = root.child(key);
      const where = issue.path.reduce<Node>((n, seg) => n.child(seg), at);
      if (issue.severity === 'error') {
        const syntax = /^(invalid interpolation|unterminated)/.test(issue.message);
        ctx.problems.add(
          where.pos,
          `${where.label}: ${issue.message}`,
          syntax
            ? 'Fix the ${...} expression; write a literal "$" as "$$".'
            : "Set the variable in the environment (or the topology's env_file) before running.",
        );
        continue;
      }
      const warning = { message: `${where.label}: ${issue.message}`, pos: where.pos };
      const id = `${warning.message}@${warning.pos.file}:${warning.pos.line}:${warning.pos.column}`;
      if (!seen.has(id)) ctx.warnings.push(warning);
      seen.add(id);
    }
  }
  return root.withValue(out);
}
