import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineUrl } from '../engine/connect.js';
import type { NodeSpec } from '../model/suite.js';

/** The files the `ssh-key` and `ssh-known-hosts` inputs became. */
export interface SshFiles {
  dir: string;
  identity?: string;
  knownHosts?: string;
}

/**
 * Writes the inputs where only the runner's user can read them: a folder of its own (0700,
 * as mkdtemp makes it) under RUNNER_TEMP, each file 0600 and new (never one someone placed
 * there). Undefined when neither input is given.
 */
export function writeSshFiles(
  inputs: { sshKey?: string; sshKnownHosts?: string },
  runnerTemp = process.env.RUNNER_TEMP || tmpdir(),
): SshFiles | undefined {
  if (inputs.sshKey === undefined && inputs.sshKnownHosts === undefined) return undefined;
  const dir = mkdtempSync(join(runnerTemp, 'stackcheck-ssh-'));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`, { mode: 0o600, flag: 'wx' });
    return file;
  };
  return {
    dir,
    ...(inputs.sshKey !== undefined && { identity: write('id', inputs.sshKey) }),
    ...(inputs.sshKnownHosts !== undefined && {
      knownHosts: write('known_hosts', inputs.sshKnownHosts),
    }),
  };
}

/**
 * The nodes with the inputs' files where the manifest says nothing of its own: the key for an
 * ssh:// node without `identity:`, the known hosts for one without `knownHosts:` or `hostKey:`.
 */
export function withSshFiles(node: NodeSpec, files: SshFiles | undefined): NodeSpec {
  if (!files || !engineUrl(node).startsWith('ssh://')) return node;
  return {
    ...node,
    ...(!node.identity && files.identity && { identity: files.identity }),
    ...(!node.knownHosts && !node.hostKey && files.knownHosts && { knownHosts: files.knownHosts }),
  };
}

/** Post's last step: the key leaves the runner with the job. */
export function removeSshFiles(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
