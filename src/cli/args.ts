import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../common/errors.js';

export const USAGE = `Usage: stackcheck <command> [options]

Commands:
  run [manifest]        bring the suite's topologies up, wait until healthy, report, take down
      --keep            leave everything running; remove it later with \`stackcheck down --run ID\`
      --json FILE       write the results JSON to FILE
      --junit FILE      write a JUnit XML report to FILE
      --summary FILE    write the markdown summary (what the action shows as the job summary)
      --topologies A,B  run only these topologies (and the checks and scenarios on them)
      --checks REGEX    run only the checks whose name matches
      --concurrency N   checks run at once (default 16)
  validate [manifest]   check the manifest and its compose files without touching an engine
  down [manifest]       remove what stackcheck runs left behind on the engines
      --run ID          only that run (live or not)
      --all             every stackcheck run, live ones included
                        (default: only runs whose process is gone or whose deadline passed)
  merge PATH...         merge results JSON files (or folders of them, e.g. downloaded
                        artifacts of several runners) into one report
      --json FILE  --junit FILE  --summary FILE
  schema                print the manifest's JSON Schema

The manifest defaults to stackcheck.yml. Exit codes: 0 passed, 1 failed, 2 bad input or usage,
130/143 interrupted by SIGINT/SIGTERM.`;

export type Command =
  | {
      name: 'run';
      manifest: string;
      keep: boolean;
      json?: string;
      junit?: string;
      summary?: string;
      topologies?: string[];
      checks?: string;
      concurrency?: number;
    }
  | { name: 'merge'; paths: string[]; json?: string; junit?: string; summary?: string }
  | { name: 'validate'; manifest: string }
  | { name: 'down'; manifest?: string; runId?: string; all: boolean }
  | { name: 'schema' }
  | { name: 'help' }
  | { name: 'version' };

const DEFAULT_MANIFEST = 'stackcheck.yml';

function parse(
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  maxPositionals: number,
) {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    const values = r.values as Record<string, string | boolean | undefined>;
    if (r.positionals.length > maxPositionals)
      throw new Error(`unexpected argument "${r.positionals[maxPositionals]}"`);
    return { values, positionals: r.positionals };
  } catch (e) {
    throw new UserError({
      message: (e as Error).message.split('\n')[0]!,
      hint: 'Run `stackcheck --help` for usage.',
    });
  }
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
          topologies: { type: 'string' },
          checks: { type: 'string' },
          concurrency: { type: 'string' },
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
        ...(values.topologies !== undefined && {
          topologies: String(values.topologies)
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        }),
        ...(values.checks !== undefined && { checks: String(values.checks) }),
        ...(concurrency !== undefined && { concurrency }),
      };
    }
    case 'merge': {
      const { values, positionals } = parse(
        rest,
        { json: { type: 'string' }, junit: { type: 'string' }, summary: { type: 'string' } },
        Infinity,
      );
      if (!positionals.length) {
        throw new UserError({
          message: 'merge needs the results to merge',
          hint: 'For example: stackcheck merge reports/ --summary summary.md',
        });
      }
      return {
        name,
        paths: positionals,
        json: values.json as string | undefined,
        junit: values.junit as string | undefined,
        summary: values.summary as string | undefined,
      };
    }
    case 'validate': {
      const { positionals } = parse(rest, {}, 1);
      return { name, manifest: positionals[0] ?? DEFAULT_MANIFEST };
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
        hint: 'Commands: run, validate, down, merge, schema. Run `stackcheck --help`.',
      });
  }
}
