import { createRequire as __scRequire } from 'node:module'; import { fileURLToPath as __scPath } from 'node:url'; import { dirname as __scDir } from 'node:path'; const require = __scRequire(import.meta.url); const __filename = __scPath(import.meta.url); const __dirname = __scDir(__filename);
import {
  STATE_KEY,
  decodeState,
  removeSshFiles
} from "./chunk-3IFQH2AS.js";
import {
  connect,
  errorMessage,
  sweep
} from "./chunk-IXKWWQON.js";
import "./chunk-NW4ZRUSV.js";
import {
  getInput,
  getState,
  info,
  warning
} from "./chunk-UHPBGSJQ.js";
import "./chunk-W3RBS6NZ.js";

// src/action/cleanup.ts
async function cleanup(state, log, factory) {
  const report = { removed: [], problems: [] };
  const nodes = state?.nodes.length ? state.nodes : [{ name: "local", labels: [] }];
  const ours = new Set((state?.runs ?? []).map((r) => r.runId));
  for (const node of nodes) {
    let engine;
    try {
      let notes;
      ({ engine, notes } = await connect(node, factory));
      for (const n of notes) log.warning(n);
    } catch (e) {
      const msg = `node ${node.name}: ${errorMessage(e)}`;
      report.problems.push(msg);
      log.warning(`cleanup skipped ${msg}`);
      continue;
    }
    try {
      const found = [
        ...(await Promise.all([...ours].map((runId) => sweep(engine, { runId })))).flat(),
        ...await sweep(engine, { stale: true })
      ];
      for (const { run, report: r } of found) {
        const mine = ours.has(run.runId);
        report.removed.push({
          node: node.name,
          runId: run.runId,
          suite: run.suite,
          stale: !mine,
          containers: r.containers,
          networks: r.networks,
          volumes: r.volumes
        });
        log.info(
          `node ${node.name}: removed ${mine ? "this job\u2019s" : "stale"} run ${run.runId} (suite ${run.suite}): ${r.containers} containers, ${r.networks} networks, ${r.volumes} volumes`
        );
        for (const x of r.restored ?? [])
          log.info(`node ${node.name}: attached stack left as found: ${x}`);
        for (const e of r.errors) {
          report.problems.push(e);
          log.warning(`node ${node.name}: could not remove ${e}`);
        }
      }
    } catch (e) {
      const msg = `node ${node.name}: ${errorMessage(e)}`;
      report.problems.push(msg);
      log.warning(`cleanup: ${msg}`);
    } finally {
      await engine.close();
    }
  }
  if (!report.removed.length && !report.problems.length) log.info("nothing left to remove");
  return report;
}

// src/action/post-step.ts
async function post() {
  try {
    const state = decodeState(getState(STATE_KEY));
    if (state?.dockerHost) process.env.DOCKER_HOST = state.dockerHost;
    else if (!state) {
      const host = getInput("docker-host");
      if (host) process.env.DOCKER_HOST = host;
    }
    info(
      state?.runs.length ? `stackcheck cleanup: runs ${state.runs.map((r) => r.runId).join(", ")}, and stale runs of earlier jobs` : "stackcheck cleanup: stale runs of earlier jobs"
    );
    await cleanup(state, { info, warning: (t) => warning(t) });
  } catch (e) {
    warning(`stackcheck cleanup: ${errorMessage(e)}`);
  } finally {
    removeSshFiles(decodeState(getState(STATE_KEY))?.sshDir);
  }
}

// src/action/post.ts
await post();
