import type { CheckSpec } from '../checks/types.js';
import type { ScenarioSpec } from '../scenarios/types.js';
import type { SourcePos } from '../common/errors.js';
import type { ComposeProject } from '../compose/model.js';
import type { RetryPolicy } from '../orchestrator/retry.js';
import type { ReportConfig } from './schema.js';

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
  /** Values never to appear in a report (see report/redact.ts). */
  secrets: string[];
  /** `images:`; absent means the defaults (pulls: 3 attempts, 5 s and 15 s apart). */
  images?: { pull: RetryPolicy };
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
  /** Absolute paths. */
  tls?: { ca: string; cert: string; key: string };
  labels: string[];
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
}
