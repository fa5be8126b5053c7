import fc from 'fast-check';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isUserError, type Problem } from '../../src/common/errors.js';
import { parseEnvFile } from '../../src/compose/env-file.js';
import type { EngineFactory } from '../../src/engine/connect.js';
import type { Engine } from '../../src/engine/engine.js';
import { loadSuites } from '../../src/manifest/load.js';
import { loadManifest, runSuites } from '../../src/run-manifest.js';
import { applyMutations, mutationsArb, toBytes, type Mutation } from '../support/yaml-mutations.js';

/*
 * The bad-input contract, by property: every mutation of every example's manifest and compose
 * file loads into suites or fails with a UserError whose every problem stands at a line and
 * column inside a file; nothing else escapes; the same files give the same answer twice; and
 * a run never reaches an engine after bad input.
 *
 * Seeded, so CI sees the same mutations every time. STACKCHECK_FUZZ_SEED picks other ones
 * (fast-check prints the seed and the shrunk mutation list of any failure, to replay it);
 * STACKCHECK_FUZZ_RUNS sets the mutations per file (default 50).
 */
const SEED = Number(process.env.STACKCHECK_FUZZ_SEED ?? 20261204);
const RUNS = Number(process.env.STACKCHECK_FUZZ_RUNS ?? 50);
/** Seconds on a CI machine; generous for a busy one and for raised STACKCHECK_FUZZ_RUNS. */
const TIMEOUT_MS = 60_000 + RUNS * 1_000;

const EXAMPLES = readdirSync('examples').filter((e) =>
  existsSync(join('examples', e, 'stackcheck.yml')),
);
/** Each example's manifest and the compose files beside it. */
const TARGETS = EXAMPLES.flatMap((example) =>
  readdirSync(join('examples', example))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((file) => ({ example, file })),
);

/** Each example in a scratch copy, with what its manifest needs from the environment. */
const scratch = mkdtempSync(join(tmpdir(), 'stackcheck-fuzz-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
function copyOf(example: string): { dir: string; env: Record<string, string> } {
  const dir = join(scratch, example);
  if (!existsSync(dir)) {
    cpSync(join('examples', example), dir, { recursive: true });
    writeFileSync(join(dir, 'db-password'), 'not-a-real-password\n');
  }
  return { dir, env: { RPA_DB_PASSWORD_FILE: join(dir, 'db-password') } };
}

type Outcome = { ok: true; suites: string } | { ok: false; message: string; problems: Problem[] };

/** Loads the manifest; any exception other than a UserError escapes and fails the property. */
function load(dir: string, env: Record<string, string>): Outcome {
  try {
    return { ok: true, suites: JSON.stringify(loadSuites(join(dir, 'stackcheck.yml'), { env })) };
  } catch (e) {
    if (!isUserError(e)) throw e;
    return { ok: false, message: e.message, problems: e.problems };
  }
}

/** The lines of a file as the loader counts them (a BOM is not a character). */
function linesOf(file: string): string[] {
  return readFileSync(file, 'utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/);
}

function expectInsideAFile(p: Problem): void {
  expect(p.pos, `a problem without a position: ${p.message}`).toBeDefined();
  const { file, line, column } = p.pos!;
  const lines = linesOf(resolve(file));
  expect(line, `${p.message}: line ${line} of ${lines.length}`).toBeGreaterThanOrEqual(1);
  expect(line, `${p.message}: line ${line} of ${lines.length}`).toBeLessThanOrEqual(lines.length);
  const width = lines[line - 1]!.length + 1;
  expect(column, `${p.message}: column ${column} of ${width}`).toBeGreaterThanOrEqual(1);
  expect(column, `${p.message}: column ${column} of ${width}`).toBeLessThanOrEqual(width);
}

/** Writes the mutated file, runs `check`, and puts the original back. */
function withMutation<T>(path: string, ms: Mutation[], check: () => T): T {
  const original = readFileSync(path, 'utf8');
  writeFileSync(path, toBytes(applyMutations(original, ms)));
  try {
    return check();
  } finally {
    writeFileSync(path, original);
  }
}

const tally = { mutations: 0, valid: 0, userErrors: 0, ms: 0 };
afterAll(() => {
  // The figure for the record: how many mutations, how they ended, how long they took.
  console.log(
    `fuzz: ${tally.mutations} mutations of ${TARGETS.length} files (seed ${SEED}): ` +
      `${tally.valid} valid, ${tally.userErrors} user errors, 0 other; ${Math.round(tally.ms)} ms`,
  );
});

describe('mutated manifests and compose files: a valid suite or a user error at a line', () => {
  TARGETS.forEach(({ example, file }, i) => {
    it(
      `${example}/${file}`,
      () => {
        const { dir, env } = copyOf(example);
        const started = performance.now();
        fc.assert(
          fc.property(mutationsArb, (ms) =>
            withMutation(join(dir, file), ms, () => {
              const first = load(dir, env);
              // Determinism: nothing in loading may depend on time, order of I/O or chance.
              expect(load(dir, env)).toEqual(first);
              if (first.ok) tally.valid++;
              else {
                tally.userErrors++;
                first.problems.forEach(expectInsideAFile);
              }
              tally.mutations++;
            }),
          ),
          { seed: SEED + i, numRuns: RUNS },
        );
        tally.ms += performance.now() - started;
      },
      TIMEOUT_MS,
    );
  });
});

/** An engine that refuses to answer; the factory records that the run asked for one. */
function refusingEngines(): { factory: EngineFactory; asked: string[] } {
  const asked: string[] = [];
  const factory: EngineFactory = (node) => {
    asked.push(node.name);
    return {
      info: () => Promise.reject(new Error('this test has no engine')),
      close: () => Promise.resolve(),
    } as unknown as Engine;
  };
  return { factory, asked };
}

describe('a run never reaches an engine after bad input', () => {
  it(
    'asks for an engine only when the manifest loaded',
    async () => {
      let runsThatAsked = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...TARGETS),
          mutationsArb,
          async ({ example, file }, ms) => {
            const { dir, env } = copyOf(example);
            const original = readFileSync(join(dir, file), 'utf8');
            writeFileSync(join(dir, file), toBytes(applyMutations(original, ms)));
            const { factory, asked } = refusingEngines();
            let loaded = false;
            try {
              // What `stackcheck run` and the action do: load, then run.
              const { suites } = loadManifest(join(dir, 'stackcheck.yml'), { env });
              loaded = true;
              await runSuites(suites, { engineFactory: factory });
            } catch (e) {
              if (!isUserError(e)) throw e;
            } finally {
              writeFileSync(join(dir, file), original);
            }
            if (!loaded) expect(asked).toEqual([]);
            if (asked.length) runsThatAsked++;
          },
        ),
        { seed: SEED, numRuns: Math.max(20, RUNS) },
      );
      // The spy is wired: valid mutations did reach the (refusing) engine.
      expect(runsThatAsked).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );
});

describe('env files: values, or a user error at a line', () => {
  const VALID = 'A=1\nexport B="two words" # note\nC=\'${A}\'\nD=${A:-x}\nMULTI="a\nb"\n';
  it(
    'any mutation of a valid env file',
    () => {
      fc.assert(
        fc.property(mutationsArb, (ms) => {
          const text = applyMutations(VALID, ms);
          const lines = text.split('\n');
          try {
            parseEnvFile(text, 'app.env', { A: 'env' });
          } catch (e) {
            if (!isUserError(e)) throw e;
            for (const p of e.problems) {
              expect(p.pos?.line, p.message).toBeGreaterThanOrEqual(1);
              expect(p.pos!.line, p.message).toBeLessThanOrEqual(lines.length);
              expect(p.pos!.column, p.message).toBeLessThanOrEqual(
                lines[p.pos!.line - 1]!.length + 1,
              );
            }
          }
        }),
        { seed: SEED, numRuns: RUNS * 20 },
      );
    },
    TIMEOUT_MS,
  );
});
