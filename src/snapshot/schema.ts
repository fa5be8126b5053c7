import { z } from 'zod';
import { parseSize } from '../common/duration.js';
import { name } from '../model/schema-parts.js';

/**
 * The manifest's `snapshots:` section: what a snapshot captures and of what. A leaf module
 * (zod only), so the manifest schema can import it without pulling in the capture code.
 */

export const CONFIG_PARTS = ['image', 'env', 'mounts', 'ports', 'user'] as const;
export type ConfigPart = (typeof CONFIG_PARTS)[number];

export const DEFAULT_LIMITS = { files: 10_000, bytes: '256MiB' } as const;

const size = () =>
  z.string().refine((s) => parseSize(s) !== undefined, {
    message: 'expected a size, like 64MiB or 1GiB',
  });

const serviceFilter = z
  .string()
  .optional()
  .describe(
    'Only in this service (its name within the topology); default: every service the snapshot is taken of. A snapshot of a node covers each service placed there, so name the service that has the path.',
  );

const FileSpec = z.union([
  z.string().regex(/^\//, 'an absolute path in the container, like /data/models'),
  z.strictObject({
    path: z.string().regex(/^\//, 'an absolute path in the container, like /data/models'),
    service: serviceFilter,
  }),
]);

const CommandSpec = z.strictObject({
  name: z
    .string()
    .regex(/^[^/*#]+$/, 'a name without "/", "*" or "#"')
    .optional()
    .describe('Key of its output in the snapshot. Default: its position (commands/0 …).'),
  service: serviceFilter,
  command: z
    .union([z.array(z.string()).min(1), z.string().min(1)])
    .describe('argv, or a string run with `sh -c`, run in the container.'),
});

const HttpSpec = z.strictObject({
  name: z
    .string()
    .regex(/^[^/*#]+$/, 'a name without "/", "*" or "#"')
    .optional()
    .describe('Key of the answer in the snapshot. Default: its port and path.'),
  service: serviceFilter,
  port: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .describe('The container port; the runner asks at the address where it is published.'),
  path: z.string().default('/'),
});

export const SnapshotSpecSchema = z
  .strictObject({
    of: z
      .union([z.string(), z.array(z.string()).min(1)])
      .optional()
      .describe(
        'What `stackcheck snapshot` and `run --snapshot` capture: services (topology/service) and nodes. Default: every node the suite uses. A diff check names its own sides.',
      ),
    files: z
      .array(FileSpec)
      .default([])
      .describe('Files and directories: a content hash (sha256), size and mode per file.'),
    commands: z
      .array(CommandSpec)
      .default([])
      .describe('Commands whose exit code and output join the snapshot.'),
    http: z
      .array(HttpSpec)
      .default([])
      .describe('HTTP answers (status and body) that join the snapshot.'),
    config: z
      .array(z.enum(CONFIG_PARTS))
      .default([...CONFIG_PARTS])
      .describe(
        'Parts of each container\'s configuration: image (reference and id), env (secret values appear only as "differs"), mounts, ports, user. `[]` for none.',
      ),
    ignore: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Keys every diff of this snapshot leaves out: globs over the keys (`*` within one segment, `**` across), e.g. `files/data/tmp/**`, `env/HOSTNAME`, `*/ports/**`; `KEY#field` leaves out one field, e.g. `files/**#mode`.',
      ),
    limits: z
      .strictObject({
        files: z
          .number()
          .int()
          .min(1)
          .default(DEFAULT_LIMITS.files)
          .describe('Most files read under one path; past it the snapshot is marked incomplete.'),
        bytes: size()
          .default(DEFAULT_LIMITS.bytes)
          .describe('Most bytes read under one path; past it the snapshot is marked incomplete.'),
        output: size()
          .default('64KiB')
          .describe('Most bytes of a command output or HTTP body kept as text.'),
      })
      .default({ files: DEFAULT_LIMITS.files, bytes: DEFAULT_LIMITS.bytes, output: '64KiB' }),
  })
  .describe(
    'What a snapshot captures: files, command outputs, HTTP answers, container configuration.',
  );

export const SnapshotsSchema = z
  .record(name('Snapshot'), SnapshotSpecSchema)
  .default({})
  .describe(
    'Named snapshots: what to capture, for `diff` checks, scenario `snapshot` steps and `stackcheck snapshot`.',
  );

export type SnapshotSpecInput = z.output<typeof SnapshotSpecSchema>;
