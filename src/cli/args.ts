import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../common/errors.js';

export const USAGE = `Usage: stackcheck <command> [options]

Commands:
  run [manifest]        bring the suite's topologies up, wait until healthy, report, take down
      --keep            leave everything running; remove it later with \`stackcheck down --run ID\`
      --json FILE       write the results JSON to FILE
      --concurrency N   checks run at once (default 16)
  validate [manifest]   check the manifest and its compose files without touching an engine
  down [manifest]       remove what stackcheck runs left behind on the engines
      --run ID          only that run (live or not)
      --all             every stackcheck run, live ones included
                        (default: only runs whose process is gone or whose deadline passed)
  schema                print the manifest's JSON Schema

The manifest defaults to stackcheck.yml. Exit codes: 0 passed, 1 failed, 2 bad input or usage,
130/143 interrupted by SIGINT/SIGTERM.`;

export type Command =
  | { name: 'run'; manifest: string; keep: boolean; json?: string; concurrency?: number }
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
        { keep: { type: 'boolean' }, json: { type: 'string' }, concurrency: { type: 'string' } },
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
        ...(concurrency !== undefined && { concurrency }),
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
        hint: 'Commands: run, validate, down, schema. Run `stackcheck --help`.',
      });
  }
}
