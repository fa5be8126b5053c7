import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/model/results.js';
import { workdir } from '../support/cli.js';
import { leftovers, NOTHING, uniqueSuite } from '../support/engine.js';
import { newJob, runStep } from '../support/runner.js';

// The pre/post-sync workflow's path, with dist/index.js run as the runner runs it: a first
// job writes its snapshot file (the `snapshot` input and output), a later job finds it where
// download-artifact puts it and a diff check compares the stack with it.

const BUSYBOX = 'stackcheck-fixture/busybox:1';

function manifest(suite: string, content: string) {
  return `version: 1
name: ${suite}
topologies:
  app:
    services:
      store: { image: ${BUSYBOX}, init: true, command: [sh, -c, "mkdir -p /models && echo ${content} > /models/vision.bin && touch /tmp/ready && exec sleep 3600"], healthcheck: { test: [CMD, test, -f, /tmp/ready], interval: 200ms, retries: 50 } }
snapshots:
  models: { of: app/store, files: [/models], config: [image] }
checks:
  - name: "post: the models are as the pre-sync job saw them"
    diff:
      snapshot: models
      left: { file: stackcheck-run-pre-sync/stackcheck-snapshot.json }
      right: app/store
`;
}

describe('the action across two jobs', () => {
  it('writes a snapshot file that a later job compares with a diff check', async () => {
    const suite = uniqueSuite('action-snap');
    const pre = workdir({ 'stackcheck.yml': manifest(suite, 'weights-v7') });
    const first = await runStep(newJob(pre), 'dist/index.js', {
      snapshot: 'stackcheck-snapshot.json',
    });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.outputs.snapshot).toBe(join(pre, 'stackcheck-snapshot.json'));
    expect(first.stdout).toMatch(/snapshot models of app\/store: \d+ keys/);
    // Without the earlier job's file, the diff check says so instead of passing.
    const firstResults = JSON.parse(readFileSync(first.outputs.json!, 'utf8')) as RunResults;
    expect(firstResults.checks[0]).toMatchObject({
      status: 'skipped',
      message: expect.stringMatching(
        /^no snapshot file stackcheck-run-pre-sync\/stackcheck-snapshot\.json here/,
      ),
    });

    for (const [content, code, status] of [
      ['weights-v7', 0, 'passed'],
      ['weights-v8', 1, 'failed'],
    ] as const) {
      const post = workdir({ 'stackcheck.yml': manifest(suite, content) });
      mkdirSync(join(post, 'stackcheck-run-pre-sync'));
      copyFileSync(
        first.outputs.snapshot!,
        join(post, 'stackcheck-run-pre-sync', 'stackcheck-snapshot.json'),
      );
      const later = await runStep(newJob(post), 'dist/index.js', {});
      expect(later.code, later.stdout + later.stderr).toBe(code);
      const results = JSON.parse(readFileSync(later.outputs.json!, 'utf8')) as RunResults;
      expect(results.checks[0]!.status).toBe(status);
      if (status === 'failed')
        expect(results.checks[0]!.message).toMatch(
          /^1 difference: files\/models\/vision\.bin#sha256: app\/store \(stackcheck-run-pre-sync\/stackcheck-snapshot\.json\) [0-9a-f]{64} ≠ app\/store [0-9a-f]{64}$/,
        );
    }
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});
