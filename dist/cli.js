#!/usr/bin/env node
import { createRequire as __scRequire } from 'node:module'; import { fileURLToPath as __scPath } from 'node:url'; import { dirname as __scDir } from 'node:path'; const require = __scRequire(import.meta.url); const __filename = __scPath(import.meta.url); const __dirname = __scDir(__filename);
import {
  DEFAULT_NODE,
  closest,
  consoleProgress,
  didYouMean,
  diffSnapshots,
  exitCodeFor,
  formatDifference,
  loadManifest,
  loadSuites,
  manifestJsonSchema,
  mergeResults,
  pickSnapshot,
  plan,
  printSummary,
  readResultFiles,
  readSnapshotFile,
  realClock,
  reportFiles,
  requireSnapshots,
  require_dist,
  runChecks,
  runSuites,
  toComposeJson,
  verboseFromEnv,
  writeReports,
  writeSnapshotFile
} from "./chunk-W7SRFUSO.js";
import {
  UserError,
  connect,
  errorMessage,
  formatPos,
  formatProblem,
  isUserError,
  sweep
} from "./chunk-IXKWWQON.js";
import "./chunk-NW4ZRUSV.js";
import {
  __toESM
} from "./chunk-W3RBS6NZ.js";

// src/cli/main.ts
import { existsSync, readFileSync } from "node:fs";

// src/cli/args.ts
import { statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
var USAGE = `Usage: stackcheck <command> [options]

Commands:
  run [manifest]        bring the suite's topologies up, wait until healthy, report, take down
      --keep            leave everything running; remove it later with \`stackcheck down --run ID\`
      --json FILE       write the results JSON to FILE
      --junit FILE      write a JUnit XML report to FILE
      --summary FILE    write the markdown summary (what the action shows as the job summary)
      --html FILE       write the run as one page: failures, a zoomable timeline, every check's
                        evidence, the topologies; opens from disk, loads nothing
      --topologies A,B  run only these topologies (and the checks and scenarios on them)
      --checks REGEX    run only the checks and scenarios whose name matches
      --concurrency N   checks run at once (default 16)
      --snapshot FILE   after the scenarios, take the manifest's snapshots into FILE
      --verbose         print every service's progress, not one line per topology
                        (also STACKCHECK_VERBOSE=1)
  validate [manifest]   check the manifest and its compose files without touching an engine
  config [manifest]     print each topology's compose model as stackcheck resolved it, in the
                        shape of \`docker compose config\` (to diff the two)
      --topology T      only topology T
      --format F        yaml (default) or json
  down [manifest]       remove what stackcheck runs left behind on the engines
      --run ID          only that run (live or not)
      --all             every stackcheck run, live ones included
                        (default: only runs whose process is gone or whose deadline passed)
  merge PATH...         merge results JSON files (or folders of them, e.g. downloaded
                        artifacts of several runners) into one report
      --json FILE  --junit FILE  --summary FILE  --html FILE
  report PATH...        the same, for one run's results too (stackcheck report results.json
                        --html run.html): a page for a run made earlier or elsewhere
  snapshot [manifest]   bring the topologies up (or attach), take the manifest's snapshots, take down
      --out FILE        where to write them (default stackcheck-snapshot.json)
      --topologies A,B  only these topologies
  diff LEFT RIGHT       compare two snapshot files; exit 1 when they differ
      --name NAME       the snapshot to compare, when the files hold several
      --left-of S  --right-of S   which subject of each file (topology/service, or "node NAME")
      --ignore GLOB     leave these keys out (repeatable), as a snapshot's \`ignore\`
  schema                print the manifest's JSON Schema

The manifest defaults to stackcheck.yml. Exit codes: 0 passed, 1 failed, 2 bad input or usage,
130/143 interrupted by SIGINT/SIGTERM, 141 stopped because the reader of its output went away.`;
var DEFAULT_MANIFEST = "stackcheck.yml";
var USAGE_HINT = "Run `stackcheck --help` for usage.";
var OUTPUT_FILES = {
  json: "results.json",
  junit: "junit.xml",
  summary: "summary.md",
  html: "report.html",
  snapshot: "snapshot.json",
  out: "snapshot.json"
};
function parse(args, options, maxPositionals) {
  let r;
  try {
    r = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw argumentError(e, options);
  }
  const values = r.values;
  if (r.positionals.length > maxPositionals)
    throw new UserError({
      message: `unexpected argument "${r.positionals[maxPositionals]}"`,
      hint: USAGE_HINT
    });
  for (const [name, value] of Object.entries(values)) {
    if (name in OUTPUT_FILES && typeof value === "string") refuseFolder(name, value);
  }
  return { values, positionals: r.positionals };
}
function argumentError(e, options) {
  const flag = /'(-[^' ]+)/.exec(e.message)?.[1] ?? "";
  const option = options[flag.replace(/^-+/, "")];
  const known = Object.keys(options).map((n) => `--${n}`);
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const like = closest(flag, known);
    return new UserError({
      message: `unknown option ${flag}`,
      hint: like ? `Did you mean ${like}? ${USAGE_HINT}` : known.length ? `Options here: ${known.join(", ")}. ${USAGE_HINT}` : `This command takes no options. ${USAGE_HINT}`
    });
  }
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option?.type === "string") {
    return new UserError({
      message: `${flag} needs a value`,
      hint: `Write ${flag} VALUE (a value that starts with "-" as ${flag}=-VALUE). ${USAGE_HINT}`
    });
  }
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return new UserError({ message: `${flag} takes no value`, hint: `Write ${flag} alone.` });
  }
  return new UserError({ message: e.message.split("\n")[0], hint: USAGE_HINT });
}
function refuseFolder(name, path) {
  let folder = /[/\\]$/.test(path);
  try {
    folder ||= statSync(path).isDirectory();
  } catch {
  }
  if (folder)
    throw new UserError({
      message: `--${name} ${path}: a folder, not a file`,
      hint: `Name the file to write, e.g. --${name} ${join(path, OUTPUT_FILES[name])}.`
    });
}
function parseCommand(argv) {
  const [name, ...rest] = argv;
  switch (name) {
    case void 0:
    case "help":
    case "--help":
    case "-h":
      return { name: "help" };
    case "--version":
    case "-v":
      return { name: "version" };
    case "run": {
      const { values, positionals } = parse(
        rest,
        {
          keep: { type: "boolean" },
          json: { type: "string" },
          junit: { type: "string" },
          summary: { type: "string" },
          html: { type: "string" },
          topologies: { type: "string" },
          checks: { type: "string" },
          concurrency: { type: "string" },
          snapshot: { type: "string" },
          verbose: { type: "boolean" }
        },
        1
      );
      const concurrency = values.concurrency === void 0 ? void 0 : Number(values.concurrency);
      if (concurrency !== void 0 && !(Number.isInteger(concurrency) && concurrency > 0)) {
        throw new UserError({
          message: `--concurrency must be a positive whole number, not "${values.concurrency}"`,
          hint: "For example --concurrency 8."
        });
      }
      return {
        name,
        manifest: positionals[0] ?? DEFAULT_MANIFEST,
        keep: !!values.keep,
        json: values.json,
        junit: values.junit,
        summary: values.summary,
        html: values.html,
        ...values.topologies !== void 0 && {
          topologies: String(values.topologies).split(",").map((t) => t.trim()).filter(Boolean)
        },
        ...values.checks !== void 0 && { checks: String(values.checks) },
        ...concurrency !== void 0 && { concurrency },
        ...values.snapshot !== void 0 && { snapshot: String(values.snapshot) },
        ...values.verbose === true && { verbose: true }
      };
    }
    case "snapshot": {
      const { values, positionals } = parse(
        rest,
        { out: { type: "string" }, topologies: { type: "string" } },
        1
      );
      return {
        name,
        manifest: positionals[0] ?? DEFAULT_MANIFEST,
        out: values.out ?? "stackcheck-snapshot.json",
        ...values.topologies !== void 0 && {
          topologies: String(values.topologies).split(",").map((t) => t.trim()).filter(Boolean)
        }
      };
    }
    case "diff": {
      const { values, positionals } = parse(
        rest,
        {
          name: { type: "string" },
          "left-of": { type: "string" },
          "right-of": { type: "string" },
          ignore: { type: "string", multiple: true }
        },
        2
      );
      if (positionals.length !== 2)
        throw new UserError({
          message: `diff compares two snapshot files, ${positionals.length} given`,
          hint: 'For example: stackcheck diff pre-sync.json post-sync.json --ignore "env/HOSTNAME"'
        });
      return {
        name,
        left: positionals[0],
        right: positionals[1],
        snapshot: values.name,
        leftOf: values["left-of"],
        rightOf: values["right-of"],
        // `multiple` options come back as lists.
        ignore: values.ignore ?? []
      };
    }
    // `report` is merge by the name one looks for to turn one run's results into a page.
    case "report":
    case "merge": {
      const { values, positionals } = parse(
        rest,
        {
          json: { type: "string" },
          junit: { type: "string" },
          summary: { type: "string" },
          html: { type: "string" }
        },
        Infinity
      );
      if (!positionals.length) {
        throw new UserError({
          message: `${name} needs the results to ${name === "merge" ? "merge" : "report"}`,
          hint: name === "merge" ? "For example: stackcheck merge reports/ --summary summary.md" : "For example: stackcheck report results.json --html report.html"
        });
      }
      return {
        name: "merge",
        paths: positionals,
        json: values.json,
        junit: values.junit,
        summary: values.summary,
        html: values.html
      };
    }
    case "validate": {
      const { positionals } = parse(rest, {}, 1);
      return { name, manifest: positionals[0] ?? DEFAULT_MANIFEST };
    }
    case "config": {
      const { values, positionals } = parse(
        rest,
        { topology: { type: "string" }, format: { type: "string" } },
        1
      );
      const format = values.format ?? "yaml";
      if (format !== "json" && format !== "yaml")
        throw new UserError({
          message: `--format must be json or yaml, not "${format}"`,
          hint: "For example: stackcheck config --format json"
        });
      return {
        name,
        manifest: positionals[0] ?? DEFAULT_MANIFEST,
        ...values.topology !== void 0 && { topology: String(values.topology) },
        format
      };
    }
    case "down": {
      const { values, positionals } = parse(
        rest,
        { run: { type: "string" }, all: { type: "boolean" } },
        1
      );
      if (values.run && values.all)
        throw new UserError({
          message: "--run and --all exclude each other",
          hint: "Give one of them."
        });
      return {
        name,
        manifest: positionals[0],
        runId: values.run,
        all: !!values.all
      };
    }
    case "schema":
      parse(rest, {}, 0);
      return { name };
    default:
      throw new UserError({
        message: `unknown command "${name}"`,
        hint: "Commands: run, validate, config, down, merge, report, snapshot, diff, schema. Run `stackcheck --help`."
      });
  }
}

// src/cli/snapshot.ts
import { resolve } from "node:path";
function snapshotsOnly(suites) {
  return suites.map((s) => ({ ...s, checks: [], scenarios: [] }));
}
function writeSnapshots(file, suite, snapshots, out2, err2) {
  writeSnapshotFile(resolve(file), suite, snapshots);
  for (const s of snapshots) {
    out2(`snapshot ${s.name} of ${s.subject}: ${Object.keys(s.entries).length} keys`);
    for (const why of s.incomplete) err2(`  incomplete: ${why}`);
  }
  out2(`${snapshots.length} snapshot${snapshots.length === 1 ? "" : "s"} written to ${file}`);
  return snapshots.every((s) => s.incomplete.length === 0);
}
function diffCommand(cmd, out2, err2) {
  const pick = (path, of) => {
    const s = pickSnapshot(readSnapshotFile(path), path, { name: cmd.snapshot, subject: of });
    if (typeof s === "string")
      throw new UserError({
        message: s,
        hint: "Choose with --name and --left-of/--right-of."
      });
    return s;
  };
  const left = pick(cmd.left, cmd.leftOf);
  const right = pick(cmd.right, cmd.rightOf);
  const names = [`${cmd.left}`, `${cmd.right}`];
  const differences = diffSnapshots(left, right, cmd.ignore);
  for (const d of differences) out2(formatDifference(d, names));
  const incomplete = [...left.incomplete, ...right.incomplete];
  for (const why of incomplete) err2(`incomplete: ${why}`);
  out2(
    differences.length ? `${differences.length} difference${differences.length === 1 ? "" : "s"} between ${left.name} of ${left.subject} and ${right.name} of ${right.subject}` : `${left.name} of ${left.subject} and ${right.name} of ${right.subject} agree on ${Object.keys(left.entries).length} keys`
  );
  return differences.length || incomplete.length ? 1 : 0;
}

// src/cli/config.ts
var import_yaml = __toESM(require_dist(), 1);
function configCommand(cmd, out2, err2) {
  const suites = loadSuites(cmd.manifest);
  const models = [];
  for (const suite of suites) {
    const combo = suite.matrix ? ` [${Object.entries(suite.matrix).map(([k, v]) => `${k}=${v}`).join(", ")}]` : "";
    for (const w of suite.warnings) err2(`warning: ${formatPos(w.pos)}: ${w.message}`);
    for (const t of suite.topologies) {
      if (cmd.topology === void 0 || t.name === cmd.topology)
        models.push([t.name + combo, toComposeJson(t.project)]);
    }
  }
  if (models.length === 0) {
    const names = suites[0]?.topologies.map((t) => t.name) ?? [];
    throw new UserError({
      message: `topology "${cmd.topology}" is not defined in ${cmd.manifest}`,
      hint: didYouMean(cmd.topology ?? "", names) || `Topologies: ${names.join(", ")}.`
    });
  }
  const doc = models.length === 1 ? models[0][1] : Object.fromEntries(models);
  out2(cmd.format === "json" ? JSON.stringify(doc, null, 2) : (0, import_yaml.stringify)(doc).trimEnd());
  return 0;
}

// src/cli/main.ts
var out = (s) => process.stdout.write(`${s}
`);
var err = (s) => process.stderr.write(`${s}
`);
async function main(argv) {
  try {
    return await dispatch(parseCommand(argv));
  } catch (e) {
    if (isUserError(e)) {
      err(e.problems.map((p) => `error: ${formatProblem(p)}`).join("\n"));
      return 2;
    }
    err(`internal error: ${errorMessage(e)}`);
    if (process.env.STACKCHECK_DEBUG) err(e.stack ?? "");
    else
      err("This is a bug in stackcheck; set STACKCHECK_DEBUG=1 for the stack trace and report it.");
    return 3;
  }
}
async function dispatch(cmd) {
  switch (cmd.name) {
    case "help":
      out(USAGE);
      return 0;
    case "version":
      out(version());
      return 0;
    case "schema":
      out(JSON.stringify(manifestJsonSchema(), null, 2));
      return 0;
    case "validate":
      return validateCommand(cmd.manifest);
    case "config":
      return configCommand(cmd, out, err);
    case "run":
      return runCommand(cmd);
    case "down":
      return downCommand(cmd);
    case "merge":
      return mergeCommand(cmd);
    case "snapshot":
      return runCommand(
        {
          name: "run",
          manifest: cmd.manifest,
          keep: false,
          topologies: cmd.topologies,
          snapshot: cmd.out
        },
        { snapshotsOnly: true }
      );
    case "diff":
      return diffCommand(cmd, out, err);
  }
}
function comboLabel(suite) {
  return suite.matrix ? ` [${Object.entries(suite.matrix).map(([k, v]) => `${k}=${v}`).join(", ")}]` : "";
}
async function validateCommand(manifest) {
  let failed = false;
  for (const suite of loadSuites(manifest)) {
    for (const w of suite.warnings) err(`warning: ${formatPos(w.pos)}: ${w.message}`);
    plan(suite, "validate");
    const staticChecks = suite.checks.filter((c) => c.phase === "static");
    const results = await runChecks(staticChecks, {
      suite,
      clock: realClock,
      signal: new AbortController().signal
    });
    for (const r of results) {
      const line = `${formatPos(r.source)}: ${r.status}: ${r.name}: ${r.message}`;
      if (r.status === "passed") out(line);
      else err(line);
    }
    const bad = results.some((r) => r.status === "failed" || r.status === "error");
    failed ||= bad;
    const services = suite.topologies.reduce(
      (n, t) => n + Object.keys(t.project.services).length,
      0
    );
    out(
      `${suite.file}${comboLabel(suite)}: ${bad ? "invalid" : "valid"} (${suite.topologies.length} topologies, ${services} services, ${suite.checks.length} checks)`
    );
  }
  return failed ? 1 : 0;
}
async function runCommand(cmd, how = {}) {
  const loaded = loadManifest(cmd.manifest, {
    filter: { topologies: cmd.topologies, checks: cmd.checks }
  });
  const suites = how.snapshotsOnly ? snapshotsOnly(loaded.suites) : loaded.suites;
  if (cmd.snapshot) requireSnapshots(suites);
  const snapshots = cmd.snapshot ? [] : void 0;
  for (const n of loaded.notes) err(n);
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name) => {
    signals++;
    if (signals === 1) {
      err(`
${name}: stopping and removing what this run created\u2026`);
      controller.abort(name);
    } else {
      err(`${name} again: exiting now; \`stackcheck down\` or the next run removes what is left.`);
      process.exit(name === "SIGINT" ? 130 : 143);
    }
  };
  const handlers = { SIGINT: () => onSignal("SIGINT"), SIGTERM: () => onSignal("SIGTERM") };
  process.on("SIGINT", handlers.SIGINT).on("SIGTERM", handlers.SIGTERM);
  onBrokenPipe = () => controller.abort("SIGPIPE");
  watchBrokenPipe();
  const verbose = cmd.verbose || verboseFromEnv();
  try {
    const results = await runSuites(suites, {
      signal: controller.signal,
      progress: consoleProgress(void 0, { verbose }),
      keep: cmd.keep,
      concurrency: cmd.concurrency,
      snapshots
    });
    printSummary(results, void 0, { verbose });
    writeReports(results, reportFiles(cmd, suites[0]));
    const complete = !snapshots || writeSnapshots(cmd.snapshot, suites[0].name, snapshots, out, err);
    return Math.max(exitCodeFor(results), complete ? 0 : 1);
  } finally {
    process.off("SIGINT", handlers.SIGINT).off("SIGTERM", handlers.SIGTERM);
    onBrokenPipe = void 0;
  }
}
var onBrokenPipe;
function watchBrokenPipe() {
  for (const stream of [process.stdout, process.stderr])
    if (!stream.listeners("error").includes(brokenPipe)) stream.on("error", brokenPipe);
}
function brokenPipe(e) {
  if (e.code !== "EPIPE") throw e;
  onBrokenPipe?.();
}
function mergeCommand(cmd) {
  const runs = readResultFiles(cmd.paths);
  for (const r of runs) err(`${r.file}: ${r.results.suite} (${r.label}): ${r.results.status}`);
  const results = mergeResults(runs);
  printSummary(results);
  writeReports(results, cmd);
  return exitCodeFor(results);
}
async function downCommand(cmd) {
  const manifest = cmd.manifest ?? (existsSync("stackcheck.yml") ? "stackcheck.yml" : void 0);
  const nodes = manifest ? Object.values(loadSuites(manifest)[0].nodes) : [{ name: DEFAULT_NODE, labels: [] }];
  const selection = cmd.runId ? { runId: cmd.runId } : cmd.all ? { all: true } : { stale: true };
  let failed = false;
  let found = 0;
  for (const node of nodes) {
    const { engine, notes } = await connect(node);
    for (const n of notes) err(`warning: ${n}`);
    try {
      for (const { run: r, report } of await sweep(engine, selection)) {
        found++;
        out(
          `node ${node.name}: run ${r.runId} (suite ${r.suite}): removed ${report.containers} containers, ${report.networks} networks, ${report.volumes} volumes`
        );
        for (const r2 of report.restored ?? []) out(`  attached stack left as found: ${r2}`);
        for (const e of report.errors) err(`  could not remove: ${e}`);
        failed ||= report.errors.length > 0;
      }
    } finally {
      await engine.close();
    }
  }
  if (!found) out(cmd.runId ? `no resources of run ${cmd.runId} found` : "nothing to remove");
  return failed ? 1 : 0;
}
function version() {
  const pkg = new URL("../package.json", import.meta.url);
  try {
    return JSON.parse(readFileSync(pkg, "utf8")).version;
  } catch {
    return "unknown";
  }
}

// src/cli.ts
process.exitCode = await main(process.argv.slice(2));
