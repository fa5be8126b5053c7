import type { NodeSpec } from '../model/suite.js';

/**
 * What main leaves for the post step (core.saveState, which the runner hands to post as
 * STATE_<name> variables): the engines it used and the id of every run it started. Saved as
 * soon as each is known, so a main killed mid-run still tells post what to remove.
 */
export interface SavedState {
  /** The engines of every node the suites use. */
  nodes: NodeSpec[];
  /** Runs started, in order. */
  runs: { runId: string; suite: string; nodes: string[] }[];
  dockerHost?: string;
  workingDirectory?: string;
  /** The folder holding the ssh-key and ssh-known-hosts inputs' files, for post to remove. */
  sshDir?: string;
}

export const STATE_KEY = 'stackcheck';

export function encodeState(s: SavedState): string {
  return JSON.stringify(s);
}

export function decodeState(text: string): SavedState | undefined {
  if (!text) return undefined;
  try {
    const s = JSON.parse(text) as Partial<SavedState>;
    return {
      nodes: s.nodes ?? [],
      runs: s.runs ?? [],
      dockerHost: s.dockerHost,
      workingDirectory: s.workingDirectory,
      sshDir: s.sshDir,
    };
  } catch {
    return undefined;
  }
}
