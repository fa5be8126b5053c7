import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// scripts/release.sh run for real in a scratch repository with a bare origin: a build script
// that writes a known dist/, a reusable workflow that calls the action at v1.

const SCRIPT = resolve('scripts/release.sh');
const WORKFLOW = `on: workflow_call
jobs:
  stackcheck:
    runs-on: ubuntu-latest
    steps:
      - uses: stackcheck/stackcheck@v1
`;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

function scratch(opts: { version?: string; dist?: string } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'stackcheck-release-'));
  const origin = join(root, 'origin.git');
  const repo = join(root, 'repo');
  git(root, 'init', '-q', '--bare', origin);
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ version: opts.version ?? '1.2.0' }),
    'dist/index.js': opts.dist ?? 'built\n',
    'schema/stackcheck.schema.json': '{}\n',
    'scripts/build.mjs': `import { mkdirSync, writeFileSync } from 'node:fs';
const root = process.argv[2] ?? '.';
mkdirSync(root + '/dist', { recursive: true });
mkdirSync(root + '/schema', { recursive: true });
writeFileSync(root + '/dist/index.js', 'built\\n');
writeFileSync(root + '/schema/stackcheck.schema.json', '{}\\n');
`,
    '.github/workflows/stackcheck.yml': WORKFLOW,
    '.gitea/workflows/stackcheck.yml': WORKFLOW,
  };
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, f)), { recursive: true });
    writeFileSync(join(repo, f), text);
  }
  mkdirSync(join(repo, 'scripts'), { recursive: true });
  copyFileSync(SCRIPT, join(repo, 'scripts/release.sh'));
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.email', 'release@example.org');
  git(repo, 'config', 'user.name', 'release');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'one');
  git(repo, 'remote', 'add', 'origin', origin);
  git(repo, 'push', '-q', 'origin', 'main');
  return { repo, origin };
}

function release(repo: string, version: string) {
  return spawnSync('bash', ['scripts/release.sh', version], { cwd: repo, encoding: 'utf8' });
}

describe('scripts/release.sh', () => {
  it('tags vX.Y.Z on a commit whose reusable workflows call the action at vX.Y.Z, and moves v1 there', () => {
    const { repo, origin } = scratch();
    const r = release(repo, '1.2.0');
    expect(r.status, r.stderr).toBe(0);
    expect(git(origin, 'rev-parse', 'v1^{commit}')).toBe(
      git(origin, 'rev-parse', 'v1.2.0^{commit}'),
    );
    for (const f of ['.github/workflows/stackcheck.yml', '.gitea/workflows/stackcheck.yml'])
      expect(git(origin, 'show', `v1.2.0:${f}`)).toContain('uses: stackcheck/stackcheck@v1.2.0');
    // The branch is left as it was, on main, still calling v1.
    expect(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect(readFileSync(join(repo, '.github/workflows/stackcheck.yml'), 'utf8')).toBe(WORKFLOW);

    // The next release moves v1 on; an older or repeated version is refused.
    writeFileSync(join(repo, 'package.json'), JSON.stringify({ version: '1.3.0' }));
    git(repo, 'commit', '-q', '-am', 'two');
    expect(release(repo, '1.3.0').status).toBe(0);
    expect(git(origin, 'rev-parse', 'v1^{commit}')).toBe(
      git(origin, 'rev-parse', 'v1.3.0^{commit}'),
    );
    writeFileSync(join(repo, 'package.json'), JSON.stringify({ version: '1.2.5' }));
    git(repo, 'commit', '-q', '-am', 'three');
    expect(release(repo, '1.2.5').stderr).toContain(
      'v1.2.5 is not newer than the latest release, v1.3.0',
    );
  });

  it('refuses a dist/ that is not what src/ builds, and pushes nothing', () => {
    const { repo, origin } = scratch({ dist: 'stale\n' });
    const r = release(repo, '1.2.0');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('dist/ is not what src/ builds: run npm run build and commit it');
    expect(git(origin, 'tag', '--list')).toBe('');
  });

  it("refuses a version that is not X.Y.Z or not package.json's", () => {
    const { repo } = scratch();
    expect(release(repo, 'v1.2').stderr).toContain('give the version as X.Y.Z, not "v1.2"');
    expect(release(repo, '1.2.1').stderr).toContain('package.json says 1.2.0');
  });
});
