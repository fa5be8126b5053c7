import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

// Loading a manifest, validating it and printing its JSON Schema must not load what runs the
// suite: the check kinds' and steps' runtime halves, the engine, the orchestrator. Each kind
// and step declares its schema in a leaf (kinds/*.schema.ts, steps/*.schema.ts) that the
// manifest imports; the runtime registries sit above it. This walks the real import graph
// (as esbuild bundles the CLI) so an import that tangles the layers again fails here.

/** Leaf helpers the loader may use although they live with the runtime: the pull retry policy. */
const ALLOWED = new Set(['src/orchestrator/retry.ts']);

const forbidden = (file: string) =>
  !ALLOWED.has(file) &&
  (file.startsWith('src/engine/') ||
    file.startsWith('src/orchestrator/') ||
    file === 'src/checks/runtime.ts' ||
    file === 'src/checks/registry.ts' ||
    file === 'src/scenarios/registry.ts' ||
    // Every kind and step module the manifest reaches is its schema half.
    /^src\/(checks\/kinds|scenarios\/steps)\/(?!.*\.schema\.ts$)/.test(file));

let inputs: Metafile['inputs'];
beforeAll(async () => {
  const r = await build({
    entryPoints: ['src/cli.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  inputs = r.metafile.inputs;
});

/** Every module `from` imports, directly or not (dynamic imports too: they load it later). */
function reachable(from: string): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...inputs[f]!.imports.filter((i) => !i.external).map((i) => i.path));
  }
  return seen;
}

describe('the manifest does not load the runtime', () => {
  for (const entry of ['src/manifest/schema.ts', 'src/manifest/load.ts']) {
    it(entry, () => {
      expect(inputs[entry], `${entry} is no longer part of the CLI`).toBeDefined();
      const reached = reachable(entry);
      // The walk itself works: the schema leaves are reached.
      expect(reached).toContain('src/checks/kinds/http.schema.ts');
      expect(reached).toContain('src/scenarios/steps/network.schema.ts');
      const importers = [...reached].flatMap((f) =>
        inputs[f]!.imports.filter((i) => forbidden(i.path)).map((i) => `${f} → ${i.path}`),
      );
      expect(importers).toEqual([]);
      const packages = [...reached].flatMap((f) =>
        inputs[f]!.imports.filter((i) => i.external && /^(dockerode|ssh2)/.test(i.path)),
      );
      expect(packages).toEqual([]);
    });
  }
});
