import { z } from 'zod';
import { ReportSchema } from './report.schema.js';
import { parsePortRange } from '../model/port-collisions.js';
import { parsePublicKey } from '../common/ssh-keys.js';
import { CheckSchema } from '../checks/schema.js';
import { ScenarioSchema } from '../scenarios/schema.js';
import { SnapshotsSchema } from '../snapshot/schema.js';
import {
  defaultBeforeLoad,
  duration,
  listsDefaultFirst,
  name,
  retryAttempts,
} from '../model/schema-parts.js';

/**
 * The suite manifest's shape. This schema is the single source of truth: the loader validates
 * against it, `stackcheck schema` prints it as JSON Schema, and the types below derive from it.
 */

const stringOrList = z.union([z.string(), z.array(z.string()).min(1)]);

export const NodeSchema = z
  .strictObject({
    docker: z
      .string()
      .regex(
        /^(unix|tcp|ssh|npipe|http|https):\/\//,
        'expected an engine URL: unix://, tcp://, ssh:// or npipe://',
      )
      .optional()
      .describe("The node's Docker engine. Default: DOCKER_HOST, else the local socket."),
    address: z
      .string()
      .optional()
      .describe(
        'Host name or IP at which other nodes and the runner reach ports this node publishes.',
      ),
    tls: z
      .strictObject({
        ca: z.string().describe("The CA that signed the engine's certificate."),
        cert: z
          .string()
          .optional()
          .describe('Client certificate (dockerd --tlsverify asks for one).'),
        key: z.string().optional().describe("The client certificate's private key."),
      })
      .refine((t) => (t.cert === undefined) === (t.key === undefined), {
        message: 'tls.cert and tls.key go together: give both, or neither',
      })
      .optional()
      .describe(
        'TLS files for a tcp:// engine (paths relative to the manifest): the engine is verified against `ca`; `cert` and `key` are the client certificate an engine with --tlsverify requires.',
      ),
    identity: z
      .string()
      .optional()
      .describe(
        'Private key file for an ssh:// engine, relative to the manifest (its path may appear in reports, never its contents). Default: the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exists; the agent at SSH_AUTH_SOCK is tried after it. A key with a passphrase is opened with `passphraseEnv`, else left to the agent.',
      ),
    passphraseEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
      .optional()
      .describe(
        "The environment variable that holds the passphrase of the node's ssh key (set it from a CI secret); its value is masked in every report.",
      ),
    knownHosts: z
      .string()
      .optional()
      .describe(
        "A known_hosts file (OpenSSH's format, e.g. `ssh-keyscan` output), relative to the manifest, that holds the ssh:// engine's host key; it replaces ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts for this node.",
      ),
    hostKey: stringOrList
      .superRefine((v, ctx) => {
        for (const [i, k] of [v].flat().entries()) {
          const key = parsePublicKey(k);
          if (typeof key === 'string')
            ctx.addIssue({ code: 'custom', message: key, path: Array.isArray(v) ? [i] : [] });
        }
      })
      .optional()
      .describe(
        "The ssh:// engine's host key, `TYPE BASE64` as in the server's /etc/ssh/ssh_host_ed25519_key.pub or a `ssh-keyscan` line without its host name (or a list of them): the only keys trusted for this node; no known_hosts file is read.",
      ),
    strictHostKeyChecking: z
      .enum(['yes', 'accept-new'])
      .default('yes')
      .describe(
        "As OpenSSH's option: `yes` refuses an ssh host key no known_hosts file lists; `accept-new` accepts one (the run says so, and records it in the node's knownHosts file, else ~/.ssh/known_hosts). A changed key is refused either way.",
      ),
    labels: z.array(z.string()).default([]),
    portRange: z
      .string()
      .superRefine((text, ctx) => {
        const r = parsePortRange(text);
        if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: r });
      })
      .optional()
      .describe(
        'The host ports this node\'s topologies may publish, e.g. "50100-50799": a `ports` check without a `range` of its own fails every published port outside it.',
      ),
  })
  .superRefine((n, ctx) => {
    if (n.docker !== undefined && !n.docker.startsWith('ssh://'))
      for (const k of ['identity', 'passphraseEnv', 'knownHosts', 'hostKey'] as const)
        if (n[k] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [k],
            message: `only an ssh:// engine takes it, and this node's is ${n.docker}`,
          });
    if (n.hostKey !== undefined && n.knownHosts !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['knownHosts'],
        message:
          'hostKey pins the only keys trusted, so knownHosts would not be read: give one of them',
      });
    if (n.hostKey !== undefined && n.strictHostKeyChecking === 'accept-new')
      ctx.addIssue({
        code: 'custom',
        path: ['strictHostKeyChecking'],
        message:
          'hostKey pins the only keys trusted, so there is no new key to accept: give one of them',
      });
  })
  .describe('A Docker engine that topologies are placed on.');

export const WaitSchema = z.strictObject({
  timeout: duration()
    .describe(
      'How long every service may take to be running, and healthy where it has a healthcheck.',
    )
    .prefault('2m'),
  stable: duration()
    .describe(
      'A service without a healthcheck counts as up once it has run this long without exiting, so a crash right after start fails the run.',
    )
    .prefault('1s'),
});

export const AttachSchema = z
  .union([
    z.boolean(),
    z.strictObject({
      project: z
        .string()
        .min(1)
        .optional()
        .describe(
          "The compose project name the running containers carry (label com.docker.compose.project). Default: the compose files' `name:`, else the first compose file's folder name, as compose derives it.",
        ),
      containers: z
        .record(z.string(), stringOrList)
        .optional()
        .describe(
          'Container names by service, for services whose containers carry no compose labels (started by `docker run`, another tool); the other services are found by label.',
        ),
    }),
  ])
  .describe('Attach to a deployed compose project instead of bringing it up.');

export const TopologySchema = z
  .strictObject({
    node: name('Node')
      .optional()
      .describe('The node this topology runs on. Default: the only node.'),
    compose: stringOrList
      .optional()
      .describe(
        'Compose files, merged in order with compose override rules; relative to the manifest.',
      ),
    services: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Services written inline, in compose syntax; merged after the compose files.'),
    networks: z.record(z.string(), z.unknown()).optional().describe('Networks, in compose syntax.'),
    volumes: z.record(z.string(), z.unknown()).optional().describe('Volumes, in compose syntax.'),
    env: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .optional()
      .describe(
        "Variables for the compose files' ${VAR} interpolation; they win over the runner's environment.",
      ),
    env_file: stringOrList
      .optional()
      .describe('Files of KEY=VALUE lines for interpolation, like `docker compose --env-file`.'),
    profiles: z.array(z.string()).default([]).describe('Compose profiles to enable.'),
    wait: WaitSchema.prefault({ timeout: '2m', stable: '1s' }),
    publish: z
      .enum(['declared', 'ephemeral'])
      .default('declared')
      .describe(
        '`declared` binds host ports as the compose files say; `ephemeral` lets the engine pick free host ports, so several runs can share one engine.',
      ),
    depends_on: z
      .record(
        z.string(),
        z.union([
          z.array(z.string()).min(1),
          z.record(
            z.string(),
            z.strictObject({
              condition: z
                .enum(['service_started', 'service_healthy', 'service_completed_successfully'])
                .default('service_started'),
            }),
          ),
        ]),
      )
      .optional()
      .describe(
        "Services of other topologies (`topology/service`, on this node or another) that this topology's services wait for before they start, by service: a list (condition service_started), or compose's long form with a `condition`. The rest of the bring-up stays parallel.",
      ),
    gpu: z
      .enum(['required', 'optional'])
      .default('required')
      .describe(
        '`optional`: on an engine that cannot give GPUs (no NVIDIA device driver), services that reserve one start without their device requests, the run says so, and `gpu` checks on them are skipped. `required`: such a start fails.',
      ),
    attach: AttachSchema.optional().describe(
      'Check the containers already running for this compose project instead of creating them; stackcheck never creates, stops or removes anything of an attached topology. `true` finds them by the compose labels.',
    ),
    allow: z
      .array(z.enum(['lifecycle', 'faults']))
      .default([])
      .describe(
        'On an attached topology, the scenario steps that may disturb it: `lifecycle` (stop, start, restart, kill, crash, chaos) and `faults` (pause, partition, delay, loss, bandwidth, node down). Whatever they stop or pause is started again at the end.',
      ),
  })
  .refine((t) => t.compose !== undefined || t.services !== undefined, {
    message: 'a topology needs `compose:` files or inline `services:`',
  })
  .refine((t) => t.allow.length === 0 || (t.attach !== undefined && t.attach !== false), {
    message:
      '`allow` is for attached topologies (`attach: true`): a topology stackcheck creates may always be disturbed',
    path: ['allow'],
  })
  .describe('One compose project, placed on one node.');

export const ManifestSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1).describe('Manifest format version.'),
    name: name('Suite').describe('Suite name: the JUnit <testsuites> name and the summary title.'),
    nodes: z
      .record(name('Node'), NodeSchema)
      .optional()
      .describe('Docker engines. Default: one node "local" from DOCKER_HOST or the local socket.'),
    topologies: z
      .record(name('Topology'), TopologySchema)
      .refine((t) => Object.keys(t).length > 0, { message: 'name at least one topology' }),
    matrix: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'matrix keys are variable names'),
        z.array(z.union([z.string(), z.number(), z.boolean()])).min(1),
      )
      .optional()
      .describe('Run the whole suite once per combination, with each value as a ${VARIABLE}.'),
    checks: defaultBeforeLoad(z.array(CheckSchema), []).describe(
      'Probes run once every topology is up; in parallel unless `serial: true`.',
    ),
    secrets: z
      .array(z.string())
      .default([])
      .describe(
        'Variables whose values are masked in every report. Values of variables named like *PASSWORD*, *TOKEN*, *SECRET*, *API_KEY* are masked anyway.',
      ),
    scenarios: defaultBeforeLoad(z.array(ScenarioSchema), []).describe(
      'Ordered steps (lifecycle actions, faults, checks) run after the checks; every fault is healed afterwards.',
    ),
    snapshots: SnapshotsSchema,
    images: z
      .strictObject({
        pull: retryAttempts('a pull (and a build that fails on the network)', {
          backoff: ['5s', '15s'],
        })
          .optional()
          .describe(
            'Retries of image pulls: every failure but a definitive "no such image" or "access denied" is retried; builds are retried only for network failures.',
          ),
        carry: z
          .boolean()
          .default(false)
          .describe(
            "Copy an image a node lacks from the runner's own engine (docker save/load through the Engine API) before trying a pull: for nodes no registry serves, and to run exactly the images the runner built. Probe and fault helper images are carried this way whatever this says.",
          ),
      })
      .optional()
      .describe('How images are obtained.'),
    probe: z
      .strictObject({
        image: z
          .string()
          .describe(
            'Image of the sidecar that probes from inside a service (needs sh, wget, nc). Default: busybox:1.36.',
          ),
      })
      .optional(),
    faults: z
      .strictObject({
        image: z
          .string()
          .optional()
          .describe(
            "Image of the helper that applies network faults in a service's network namespace (needs sh, iptables, tc; runs with NET_ADMIN). Default: nicolaka/netshoot:v0.13.",
          ),
        proxyImage: z
          .string()
          .optional()
          .describe(
            'Image of the delay proxy used where the kernel has no netem (needs node). Default: `image` when that is set, else node:20-alpine.',
          ),
      })
      .optional()
      .describe('How network faults (partition, delay, loss, bandwidth) are applied.'),
    report: ReportSchema.optional(),
  })
  .describe('A stackcheck suite manifest.');

/**
 * What the loader validates with: checks are validated one by one against their own kind
 * (see manifest/checks.ts), which gives far clearer errors than a union of every kind.
 */
export const ManifestShapeSchema = ManifestSchema.extend({
  checks: z.array(z.unknown()).default([]),
  scenarios: z.array(z.unknown()).default([]),
});

export type ManifestInput = z.input<typeof ManifestSchema>;
export type Manifest = z.output<typeof ManifestShapeSchema>;
export type NodeConfig = z.output<typeof NodeSchema>;
export type TopologyConfig = z.output<typeof TopologySchema>;

export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ManifestSchema, {
    io: 'input',
    target: 'draft-2020-12',
    override: ({ zodSchema, jsonSchema }) => {
      if (!listsDefaultFirst(zodSchema) || !('default' in jsonSchema)) return;
      const { default: value, ...rest } = jsonSchema;
      for (const key of Object.keys(rest)) delete (jsonSchema as Record<string, unknown>)[key];
      Object.assign(jsonSchema, { default: value }, rest);
    },
  }) as Record<string, unknown>;
}
