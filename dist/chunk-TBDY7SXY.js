import { createRequire as __scRequire } from 'node:module'; import { fileURLToPath as __scPath } from 'node:url'; import { dirname as __scDir } from 'node:path'; const require = __scRequire(import.meta.url); const __filename = __scPath(import.meta.url); const __dirname = __scDir(__filename);

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
      workingDirectory: s.workingDirectory
    };
  } catch {
    return void 0;
  }
}

export {
  STATE_KEY,
  encodeState,
  decodeState
};
