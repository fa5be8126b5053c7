import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Users and the runner execute dist/, not src/: it must be exactly what src/ builds to.
describe('dist/ and schema/ are a fresh build of src/', () => {
  const out = mkdtempSync(join(tmpdir(), 'stackcheck-build-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  execFileSync(process.execPath, ['scripts/build.mjs', out], { stdio: 'pipe' });

  for (const dir of ['dist', 'schema']) {
    it(`${dir}/ holds nothing the build does not write (no chunk of an earlier build)`, () => {
      expect(readdirSync(dir).sort()).toEqual(readdirSync(join(out, dir)).sort());
    });
    for (const file of readdirSync(join(out, dir))) {
      it(`${dir}/${file}`, () => {
        const fresh = readFileSync(join(out, dir, file), 'utf8');
        let committed = '';
        try {
          committed = readFileSync(join(dir, file), 'utf8');
        } catch {
          // reported by the assertion below
        }
        expect(
          committed === fresh,
          `${dir}/${file} is stale: run \`npm run build\` and commit it`,
        ).toBe(true);
      });
    }
  }
});
