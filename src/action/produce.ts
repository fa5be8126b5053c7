import * as core from '@actions/core';
import { resolve } from 'node:path';
import { privateKeyLines } from '../common/redact.js';
import { timeoutSignal } from '../common/timeout.js';
import type { RunResults } from '../model/results.js';
import type { NodeSpec, Suite } from '../model/suite.js';
import { verboseFromEnv } from '../report/console.js';
import type { Log } from '../report/log.js';
import { mergeResults, readResultFiles } from '../report/merge.js';
import { loadManifest, runSuites } from '../run-manifest.js';
import { requireSnapshots } from '../snapshot/collect.js';
import { writeSnapshotFile } from '../snapshot/file.js';
import type { Snapshot } from '../snapshot/model.js';
import { GroupedProgress } from './console.js';
import { actionImageCache } from './image-cache.js';
import type { ActionInputs } from './inputs.js';
import { withSshFiles, writeSshFiles } from './ssh-files.js';
import type { SavedState } from './state.js';

/** A crashed job's run counts as stale this long after its own time limit. */
const LIFETIME_SLACK_MS = 15 * 60_000;

export interface ProduceContext {
  /** What post needs to remove, filled in as the run goes; `save` hands it to the runner. */
  state: SavedState;
  save: () => void;
  signal: AbortSignal;
  log: Log;
  /** The suite, once the manifest has loaded: where its `report:` puts the files. */
  onLoaded: (suite: Suite) => void;
}

/** Runs the suite (or merges earlier results), saving state for post as it goes. */
export async function produce(
  inputs: ActionInputs,
  { state, save, signal, log, onLoaded }: ProduceContext,
): Promise<{ results: RunResults; suite?: Suite }> {
  if (inputs.merge.length) {
    const runs = readResultFiles(inputs.merge);
    for (const r of runs)
      core.info(`${r.file}: ${r.results.suite} (${r.label}): ${r.results.status}`);
    const results = mergeResults(runs);
    return { results: inputs.label ? { ...results, label: inputs.label } : results };
  }
  const ssh = writeSshFiles(inputs);
  if (ssh) {
    state.sshDir = ssh.dir;
    save();
  }
  const keyLines = privateKeyLines([ssh?.identity]);
  for (const line of keyLines) core.setSecret(line);
  // A reusable workflow's caller hands its variables and secrets over as inputs: the
  // manifest's ${VAR} reads them from the environment, as it would in a plain job.
  Object.assign(process.env, inputs.env, inputs.secrets);
  const secretValues = Object.values(inputs.secrets).filter(Boolean);
  for (const v of secretValues) core.setSecret(v);
  const { suites, notes } = loadManifest(inputs.manifest, {
    filter: { topologies: inputs.topologies, checks: inputs.checks },
  });
  for (const s of suites) {
    for (const [name, node] of Object.entries(s.nodes)) s.nodes[name] = withSshFiles(node, ssh);
    s.secrets.push(...keyLines, ...secretValues);
  }
  // The core masks these in its reports; the runner masks them in everything else printed.
  for (const secret of new Set(suites.flatMap((s) => s.secrets ?? []))) core.setSecret(secret);
  for (const n of notes) core.info(n);
  onLoaded(suites[0]!);
  state.nodes = usedNodes(suites);
  save();
  // A re-run with debug logging (RUNNER_DEBUG) shows every service's progress, as --verbose does.
  const verbose = verboseFromEnv() || process.env.RUNNER_DEBUG === '1';
  const progress = new GroupedProgress(log, { verbose });
  const limit = inputs.timeoutMs ? timeoutSignal(inputs.timeoutMs) : undefined;
  if (inputs.snapshot) requireSnapshots(suites);
  const snapshots: Snapshot[] | undefined = inputs.snapshot ? [] : undefined;
  const images = inputs.imageCache ? await actionImageCache() : undefined;
  try {
    const results = await runSuites(suites, {
      signal: limit ? AbortSignal.any([signal, limit]) : signal,
      progress,
      keep: inputs.keepUp,
      ...(inputs.timeoutMs && { lifetimeMs: inputs.timeoutMs + LIFETIME_SLACK_MS }),
      onStart: (run) => {
        state.runs.push(run);
        save();
      },
      snapshots,
      imageCache: images?.cache,
    });
    // A cancelled job has no time to upload; the next one builds again.
    if (!signal.aborted) await images?.save();
    if (snapshots) writeSnapshots(resolve(inputs.snapshot!), suites[0]!.name, snapshots);
    return {
      results: inputs.label ? { ...results, label: inputs.label } : results,
      suite: suites[0],
    };
  } finally {
    progress.close();
  }
}

/**
 * The snapshot file a later job downloads (as an artifact) and compares with a diff check's
 * `file:` side. What could not be captured is a warning here; the diff that reads it judges.
 */
function writeSnapshots(path: string, suite: string, snapshots: Snapshot[]): void {
  writeSnapshotFile(path, suite, snapshots);
  for (const s of snapshots) {
    core.info(`snapshot ${s.name} of ${s.subject}: ${Object.keys(s.entries).length} keys`);
    for (const why of s.incomplete)
      core.warning(`snapshot ${s.name} of ${s.subject} is incomplete: ${why}`);
  }
  core.setOutput('snapshot', path);
}

function usedNodes(suites: Suite[]): NodeSpec[] {
  const byName = new Map<string, NodeSpec>();
  for (const s of suites) for (const t of s.topologies) byName.set(t.node, s.nodes[t.node]!);
  return [...byName.values()];
}
