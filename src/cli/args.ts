import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../common/errors.js';
import { closest } from '../common/suggest.js';

export const USAGE = `Usage: stackcheck <command> [options]

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

export type Command =
  | {
      name: 'run';
      manifest: string;
      keep: boolean;
      json?: string;
      junit?: string;
      summary?: string;
      html?: string;
      topologies?: string[];
      checks?: string;
      concurrency?: number;
      snapshot?: string;
      /** Every service's every phase on the console, not one line per topology. */
      verbose?: boolean;
    }
  | { name: 'snapshot'; manifest: string; out: string; topologies?: string[] }
  | {
      name: 'diff';
      left: string;
      right: string;
      snapshot?: string;
      leftOf?: string;
      rightOf?: string;
      ignore: string[];
    }
  | {
      name: 'merge';
      paths: string[];
      json?: string;
      junit?: string;
      summary?: string;
      html?: string;
    }
  | { name: 'validate'; manifest: string }
  | { name: 'config'; manifest: string; topology?: string; format: 'json' | 'yaml' }
  | { name: 'down'; manifest?: string; runId?: string; all: boolean }
  | { name: 'schema' }
  | { name: 'help' }
  | { name: 'version' };

const DEFAULT_MANIFEST = 'stackcheck.yml';

type Options = NonNullable<ParseArgsConfig['options']>;

const USAGE_HINT = 'Run `stackcheck --help` for usage.';

/**
 * Options whose value is a file stackcheck writes, with an example name. A folder there
 * would fail only when the report is written, after the whole run: it is refused up front.
 */
const OUTPUT_FILES: Record<string, string> = {
  json: 'results.json',
  junit: 'junit.xml',
  summary: 'summary.md',
  html: 'report.html',
  snapshot: 'snapshot.json',
  out: 'snapshot.json',
};

function parse(args: string[], options: Options, maxPositionals: number) {
  let r: ReturnType<typeof parseArgs>;
  try {
    r = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw argumentError(e as Error & { code?: string }, options);
  }
  const values = r.values as Record<string, string | boolean | undefined>;
  if (r.positionals.length > maxPositionals)
    throw new UserError({
      message: `unexpected argument "${r.positionals[maxPositionals]}"`,
      hint: USAGE_HINT,
    });
  for (const [name, value] of Object.entries(values)) {
    if (name in OUTPUT_FILES && typeof value === 'string') refuseFolder(name, value);
  }
  return { values, positionals: r.positionals };
}

/** node:util's parseArgs errors, said as stackcheck says the rest: what is wrong, then what to write. */
function argumentError(e: Error & { code?: string }, options: Options): UserError {
  const flag = /'(-[^' ]+)/.exec(e.message)?.[1] ?? '';
  const option = options[flag.replace(/^-+/, '')];
  const known = Object.keys(options).map((n) => `--${n}`);
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const like = closest(flag, known);
    return new UserError({
      message: `unknown option ${flag}`,
      hint: like
        ? `Did you mean ${like}? ${USAGE_HINT}`
        : known.length
          ? `Options here: ${known.join(', ')}. ${USAGE_HINT}`
          : `This command takes no options. ${USAGE_HINT}`,
    });
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option?.type === 'string') {
    // Missing at the end, or followed by another option (`--json --keep`).
    return new UserError({
      message: `${flag} needs a value`,
      hint: `Write ${flag} VALUE (a value that starts with "-" as ${flag}=-VALUE). ${USAGE_HINT}`,
    });
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return new UserError({ message: `${flag} takes no value`, hint: `Write ${flag} alone.` });
  }
  return new UserError({ message: e.message.split('\n')[0]!, hint: USAGE_HINT });
}

function refuseFolder(name: string, path: string): void {
  let folder = /[/\\]$/.test(path);
  try {
    folder ||= statSync(path).isDirectory();
  } catch {
    // Absent: the writer creates it (and its folders).
  }
  if (folder)
    throw new UserError({
      message: `--${name} ${path}: a folder, not a file`,
      hint: `Name the file to write, e.g. --${name} ${join(path, OUTPUT_FILES[name]!)}.`,
    });
}

export function parseCommand(argv: string[]): Command {
  const [name, ...rest] = argv;
  switch (name) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { name: 'help' };
    case '--version':
    case '-v':
      return { name: 'version' };
    case 'run': {
      const { values, positionals } = parse(
        rest,
        {
          keep: { type: 'boolean' },
          json: { type: 'string' },
          junit: { type: 'string' },
          summary: { type: 'string' },
          html: { type: 'string' },
          topologies: { type: 'string' },
          checks: { type: 'string' },
          concurrency: { type: 'string' },
          snapshot: { type: 'string' },
          verbose: { type: 'boolean' },
        },
        1,
      );
      const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
      if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0)) {
        throw new UserError({
          message: `--concurrency must be a positive whole number, not "${values.concurrency}"`,
          hint: 'For example --concurrency 8.',
        });
      }
      return {
        name,
        manifest: positionals[0] ?? DEFAULT_MANIFEST,
        keep: !!values.keep,
        json: values.json as string | undefined,
        junit: values.junit as string | undefined,
        summary: values.summary as string | undefined,
        html: values.html as string | undefined,
        ...(values.topologies !== undefined && {
          topologies: String(values.topologies)
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        }),
        ...(values.checks !== undefined && { checks: String(values.checks) }),
        ...(concurrency !== undefined && { concurrency }),
        ...(values.snapshot !== undefined && { snapshot: String(values.snapshot) }),
        ...(values.verbose === true && { verbose: true }),
      };
    }
    case 'snapshot': {
      const { values, positionals } = parse(
        rest,
        { out: { type: 'string' }, topologies: { type: 'string' } },
        1,
      );
      return {
        name,
        manifest: positionals[0] ?? DEFAULT_MANIFEST,
        out: (values.out as string | undefined) ?? 'stackcheck-snapshot.json',
        ...(values.topologies !== undefined && {
          topologies: String(values.topologies)
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        }),
      };
    }
    case 'diff': {
      const { values, positionals } = parse(
        rest,
        {
          name: { type: 'string' },
          'left-of': { type: 'string' },
          'right-of': { type: 'string' },
          ignore: { type: 'string', multiple: true },
        },
        2,
      );
      if (positionals.length !== 2)
        throw new UserError({
          message: `diff compares two snapshot files, ${positionals.length} given`,
          hint: 'For example: stackcheck diff pre-sync.json post-sync.json --ignore "env/HOSTNAME"',
        });
      return {
        name,
        left: positionals[0]!,
        right: positionals[1]!,
        snapshot: values.name as string | undefined,
        leftOf: values['left-of'] as string | undefined,
        rightOf: values['right-of'] as string | undefined,
        // `multiple` options come back as lists.
        ignore: (values.ignore as unknown as string[] | undefined) ?? [],
      };
    }
    // `report` is merge by the name one looks for to turn one run's results into a page.
    case 'report':
    case 'merge': {
      const { values, positionals } = parse(
        rest,
        {
          json: { type: 'string' },
          junit: { type: 'string' },
          summary: { type: 'string' },
          html: { type: 'string' },
        },
        Infinity,
      );
      if (!positionals.length) {
        throw new UserError({
          message: `${name} needs the results to ${name === 'merge' ? 'merge' : 'report'}`,
          hint:
            name === 'merge'
              ? 'For example: stackcheck merge reports/ --summary summary.md'
              : 'For example: stackcheck report results.json --html report.html',
        });
      }
      return {
        name: 'merge',
        paths: positionals,
        json: values.json as string | undefined,
        junit: values.junit as string | undefined,
        summary: values.summary as string | undefined,
        html: values.html as string | undefined,
      };
    }
    case 'validate': {
      const { positionals } = parse(rest, {}, 1);
      return { name, manifest: positionals[0] ?? DEFAULT_MANIFEST };
    }
    case 'config': {
      const { values, positionals } = parse(
        rest,
        { topology: { type: 'string' }, format: { type: 'string' } },
        1,
      );
      const format = (values.format as string | undefined) ?? 'yaml';
      if (format !== 'json' && format !== 'yaml')
        throw new UserError({
          message: `--format must be json or yaml, not "${format}"`,
          hint: 'For example: stackcheck config --format json',
        });
      return {
        name,
        manifest: positionals[0] ?? DEFAULT_MANIFEST,
        ...(values.topology !== undefined && { topology: String(values.topology) }),
        format,
      };
    }
    case 'down': {
      const { values, positionals } = parse(
        rest,
        { run: { type: 'string' }, all: { type: 'boolean' } },
        1,
      );
      if (values.run && values.all)
        throw new UserError({
          message: '--run and --all exclude each other',
          hint: 'Give one of them.',
        });
      return {
        name,
        manifest: positionals[0],
        runId: values.run as string | undefined,
        all: !!values.all,
      };
    }
    case 'schema':
      parse(rest, {}, 0);
      return { name };
    default:
      throw new UserError({
        message: `unknown command "${name}"`,
        hint: 'Commands: run, validate, config, down, merge, report, snapshot, diff, schema. Run `stackcheck --help`.',
      });
  }
}
