import type { SourcePos } from '../common/errors.js';
import type { ComposeProject, DependsCondition } from '../compose/model.js';
import type { RetryPolicy } from '../common/retry.js';
import type { ReportConfig } from '../manifest/report.schema.js';
import type { ConfigPart } from '../snapshot/schema.js';
import type { CommonCheck } from './common-check.js';

/** A loaded, validated suite: what the manifest means, with every path resolved. */
export interface Suite {
  name: string;
  /** The manifest path as the user gave it (used in messages and annotations). */
  file: string;
  /** Absolute directory of the manifest. */
  dir: string;
  nodes: Record<string, NodeSpec>;
  topologies: TopologySpec[];
  checks: CheckSpec[];
  scenarios: ScenarioSpec[];
  /** `snapshots:` by name: what diff checks and snapshot steps capture. */
  snapshots?: Record<string, SnapshotSpec>;
  /** Values never to appear in a report (see common/redact.ts). */
  secrets: string[];
  /** `images:`; absent means the defaults (pulls: 3 attempts, 5 s and 15 s apart; no carrying). */
  images?: { pull: RetryPolicy; carry?: boolean };
  /** Image of the probe sidecars (`probe.image`). */
  probeImage: string;
  /** Images of the network fault helpers (`faults:`): iptables and tc, and the delay proxy. */
  faultImages?: { tools: string; proxy: string };
  /** This suite's matrix combination, when the manifest has a matrix. */
  matrix?: Record<string, string>;
  report: ReportConfig;
  warnings: { message: string; pos: SourcePos }[];
}

export interface NodeSpec {
  name: string;
  /** Engine URL; undefined means DOCKER_HOST or the local socket. */
  docker?: string;
  address?: string;
  /** Absolute paths; no cert and key: the engine is verified, and asks for no client certificate. */
  tls?: { ca: string; cert?: string; key?: string };
  /** Absolute path of the private key for an ssh:// engine. */
  identity?: string;
  /** The environment variable holding the identity's passphrase (its value is masked). */
  passphraseEnv?: string;
  /** Absolute path of a known_hosts file used instead of OpenSSH's own. */
  knownHosts?: string;
  /** The ssh host keys (`TYPE BASE64`) that alone are trusted. */
  hostKey?: string[];
  /** `accept-new`: a host key no known_hosts file lists is accepted and recorded, and said so. */
  strictHostKeyChecking?: 'yes' | 'accept-new';
  labels: string[];
  /** Host ports its topologies may publish ("50100-50799"), judged by a `ports` check without a `range`. */
  portRange?: string;
}

export interface TopologySpec {
  name: string;
  node: string;
  project: ComposeProject;
  waitTimeoutMs: number;
  /** How long a service without a healthcheck must run before it counts as up. */
  stableMs: number;
  publish: 'declared' | 'ephemeral';
  pos: SourcePos;
  /** Set when the topology is already deployed: its containers are found, never created or removed. */
  attach?: AttachTarget;
  /** Services of other topologies that its services wait for (the topology's `depends_on`). */
  dependsOn?: CrossDependency[];
  /** Its services that another topology waits on to exit 0: their readiness is completion. */
  awaitedToComplete?: string[];
  /** `gpu: optional`: on an engine that cannot give GPUs, services start without their device requests. */
  gpu?: 'required' | 'optional';
}

/** A service waiting for a service of another topology, on this node or another. */
export interface CrossDependency {
  /** The service of this topology that waits. */
  service: string;
  on: { topology: string; service: string };
  condition: DependsCondition;
  /** Where the manifest names the dependency. */
  pos: SourcePos;
}

/** Where an attached topology's containers are, and what scenarios may do to them. */
export interface AttachTarget {
  /** The compose project its containers carry (label com.docker.compose.project). */
  project: string;
  /** Services whose containers the manifest names: found by these names instead of by label. */
  containers: Record<string, string[]>;
  /** The kinds of scenario step that may disturb it; the rest are refused at load. */
  allow: Disturbance[];
}

export type Disturbance = 'lifecycle' | 'faults';

/** Where a check names a service, so the loader can verify it exists before anything starts. */
export interface ServiceRefUse {
  ref: string;
  /** Path of the value inside the check entry, for the error position. */
  path: (string | number)[];
}

/** A connection between two services that a check exercises, both as topology/service. */
export interface CheckLink {
  from: string;
  to: string;
  /** The container port it goes to, when the check names one. */
  port?: number;
}

/** A check as the loader hands it on: validated, its kind known, its position kept. */
export interface CheckSpec {
  index: number;
  name: string;
  kind: string;
  phase: 'static' | 'live';
  /** The parsed entry, as the kind's attempt() expects it. */
  entry: CommonCheck & Record<string, unknown>;
  timeoutMs: number;
  retry?: { timeoutMs: number; intervalMs: number; backoff: number };
  serial: boolean;
  pos: SourcePos;
  /** The services it names, resolved to topology/service. */
  targets: string[];
  /** The connections between those services it exercises (a `from:` probe, a propagation). */
  links?: CheckLink[];
}

export interface StepSpec {
  index: number;
  key: string;
  name: string;
  entry: Record<string, unknown>;
  /** For `check` steps: the check, validated like any other. */
  check?: CheckSpec;
  /** The services it names, resolved to topology/service. */
  targets: string[];
  /** Heal the step's fault after this long. */
  forMs?: number;
  pos: SourcePos;
}

export interface ScenarioSpec {
  name: string;
  steps: StepSpec[];
  pos: SourcePos;
}

/** A `snapshots:` entry, resolved: commands as argv, sizes in bytes, its position kept. */
export interface SnapshotSpec {
  name: string;
  /** Subjects `stackcheck snapshot` captures: `topology/service` refs and node names. */
  of?: string[];
  files: { path: string; service?: string }[];
  commands: { name: string; service?: string; command: string[] }[];
  http: { name: string; service?: string; port: number; path: string }[];
  config: ConfigPart[];
  ignore: string[];
  limits: { files: number; bytes: number; output: number };
  pos: SourcePos;
}

/** What a snapshot is taken of: every service placed on a node, or one service. */
export type Subject = { node: string } | { topology: string; service: string };
