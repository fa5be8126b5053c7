import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { build, type Metafile } from 'esbuild';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

// Loading a manifest, validating it and printing its JSON Schema must not load what runs the
// suite: the run halves of check kinds, steps and faults, the engine, the orchestrator. Each
// kind, step and fault declares its keys in a leaf (<name>.schema.ts) that the manifest
// imports; the run halves and their registries sit above it. This walks the value imports as
// esbuild bundles the CLI; the layers below walk every import, type imports too.
const forbidden = (file: string) =>
  !/(^|\/|\.)schema\.ts$/.test(file) &&
  /^src\/(engine|orchestrator|live|faults|checks|scenarios|snapshot)\//.test(file);

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
      expect(reached).toContain('src/faults/partition.schema.ts');
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

// ---- every import, type imports included, runs down the layers --------------------------

/**
 * The layers of src/, lowest first: a module imports only from its own layer or lower ones.
 * A file named schema.ts or *.schema.ts is the load-time half of its folder (a kind's or a
 * step's keys, the manifest's shape) and ranks with the model, whatever folder it sits in:
 * so a new kind stays one folder, and the manifest never reaches what runs it.
 */
const LAYERS = [
  'common',
  'compose',
  'model',
  'engine',
  'manifest',
  'orchestrator',
  'live',
  'faults',
  'snapshot',
  'checks',
  'scenarios',
  'report',
  'run', // src/run.ts, src/run-manifest.ts
  'adapters', // src/cli/, src/action/
  'entry', // src/cli.ts
];

function layerOf(file: string): number {
  if (/(^|\/|\.)schema\.ts$/.test(file)) return LAYERS.indexOf('model');
  if (file === 'src/cli.ts') return LAYERS.indexOf('entry');
  if (/^src\/[^/]+\.ts$/.test(file)) return LAYERS.indexOf('run');
  const folder = file.split('/')[1]!;
  return LAYERS.indexOf(folder === 'cli' || folder === 'action' ? 'adapters' : folder);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

/** Every relative import of every file of src/: `import type`, re-exports and import() too. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles('src')) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    graph.set(
      file,
      importedFiles
        .map((i) => i.fileName)
        .filter((spec) => spec.startsWith('.'))
        .map((spec) => normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts')),
    );
  }
  return graph;
}

/** The strongly connected components of more than one module (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('src/ is layered, type imports included', () => {
  const graph = importGraph();

  it('sees type-only imports and every folder', () => {
    // model/suite.ts imports only types: a walk of the bundle would not see these edges.
    expect(graph.get('src/model/suite.ts')).toContain('src/model/common-check.ts');
    expect([...graph.keys()].filter((f) => layerOf(f) < 0)).toEqual([]);
  });

  it('no import runs up a layer', () => {
    const upward = [...graph].flatMap(([file, targets]) =>
      targets
        .filter((t) => layerOf(t) > layerOf(file))
        .map((t) => `${file} (${LAYERS[layerOf(file)]}) → ${t} (${LAYERS[layerOf(t)]})`),
    );
    expect(upward).toEqual([]);
  });

  it('no circle of imports, within a folder either', () => {
    expect(circles(graph)).toEqual([]);
  });

  it("README's layout names every folder of src/ and every command", () => {
    const readme = readFileSync('README.md', 'utf8');
    const layout = readme.slice(readme.indexOf('## Project layout'));
    const folders = readdirSync('src', { withFileTypes: true }).filter((e) => e.isDirectory());
    for (const f of folders) expect(layout, f.name).toContain(`src/${f.name}`);
    const commands = [...readFileSync('src/cli/main.ts', 'utf8').matchAll(/case '([a-z]+)':/g)]
      .map((m) => m[1]!)
      .filter((c) => c !== 'help' && c !== 'version');
    expect(commands.length).toBeGreaterThan(5);
    for (const c of commands) expect(layout, c).toMatch(new RegExp(`\\b${c}\\b`));
  });
});
