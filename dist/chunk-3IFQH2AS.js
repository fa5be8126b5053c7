import { createRequire as __scRequire } from 'node:module'; import { fileURLToPath as __scPath } from 'node:url'; import { dirname as __scDir } from 'node:path'; const require = __scRequire(import.meta.url); const __filename = __scPath(import.meta.url); const __dirname = __scDir(__filename);
import {
  engineUrl
} from "./chunk-IXKWWQON.js";

// src/action/ssh-files.ts
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
function writeSshFiles(inputs, runnerTemp = process.env.RUNNER_TEMP || tmpdir()) {
  if (inputs.sshKey === void 0 && inputs.sshKnownHosts === void 0) return void 0;
  const dir = mkdtempSync(join(runnerTemp, "stackcheck-ssh-"));
  const write = (name, text) => {
    const file = join(dir, name);
    writeFileSync(file, text.endsWith("\n") ? text : `${text}
`, { mode: 384, flag: "wx" });
    return file;
  };
  return {
    dir,
    ...inputs.sshKey !== void 0 && { identity: write("id", inputs.sshKey) },
    ...inputs.sshKnownHosts !== void 0 && {
      knownHosts: write("known_hosts", inputs.sshKnownHosts)
    }
  };
}
function withSshFiles(node, files) {
  if (!files || !engineUrl(node).startsWith("ssh://")) return node;
  return {
    ...node,
    ...!node.identity && files.identity && { identity: files.identity },
    ...!node.knownHosts && !node.hostKey && files.knownHosts && { knownHosts: files.knownHosts }
  };
}
function removeSshFiles(dir) {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

// src/action/state.ts
var STATE_KEY = "stackcheck";
function encodeState(s) {
  return JSON.stringify(s);
}
function decodeState(text) {
  if (!text) return void 0;
  try {
    const s = JSON.parse(text);
    return {
      nodes: s.nodes ?? [],
      runs: s.runs ?? [],
      dockerHost: s.dockerHost,
      workingDirectory: s.workingDirectory,
      sshDir: s.sshDir
    };
  } catch {
    return void 0;
  }
}

export {
  writeSshFiles,
  withSshFiles,
  removeSshFiles,
  STATE_KEY,
  encodeState,
  decodeState
};
