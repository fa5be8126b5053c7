import type { CheckSpec } from '../checks/types.js';
import type { ScenarioSpec } from '../scenarios/types.js';
import type { SourcePos } from '../common/errors.js';
import type { ComposeProject, DependsCondition } from '../compose/model.js';
import type { RetryPolicy } from '../orchestrator/retry.js';
import type { ReportConfig } from './schema.js';
import type { SnapshotSpec } from '../snapshot/spec.js';

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
  /** Values never to appear in a report (see report/redact.ts). */
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
