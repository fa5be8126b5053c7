import type { SourcePos } from '../common/errors.js';
import type { MergeTag } from '../common/yaml-source.js';
import type {
  DeviceRequestSpec,
  NetworkSpec,
  ResourcesSpec,
  ServiceNetwork,
  ServiceSpec,
  VolumeSpec,
} from './model.js';

/*
 * What one compose source says, normalised but not yet defaulted. Fields a source does
 * not set stay undefined, so merging several sources can tell "not written" from "written
 * as the default" (compose merges what was written, then applies defaults).
 */

export interface BuildLayer {
  /** Absolute. */
  context?: string;
  /** As written: relative to the context, or absolute. */
  dockerfile?: string;
  args?: Record<string, string | undefined>;
  target?: string;
  labels?: Record<string, string>;
  dockerfileInline?: string;
  tags?: string[];
  additionalContexts?: Record<string, string>;
  secrets?: { source: string; id: string; file?: string; text?: string }[];
  ssh?: string[];
  pos: SourcePos;
}

export interface HealthcheckLayer {
  disable?: boolean;
  test?: string[];
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
  startIntervalMs?: number;
  pos: SourcePos;
}

/** A value with the place it was written, for checks that can only run after merging. */
export interface Placed<T> {
  value: T;
  pos: SourcePos;
}

export interface ResourcesLayer {
  limits: ResourcesSpec['limits'];
  reservations: { cpus?: number; memoryBytes?: number; devices?: DeviceRequestSpec[] };
  /** Where each value was written, by its key below deploy.resources: "limits.memory". */
  at?: Record<string, SourcePos>;
}

/** A service's `extends`: the service to start from, in this file or in `file`. */
export interface ExtendsRef {
  service: string;
  /** As written; relative paths resolve from the folder relative paths of this file resolve from. */
  file?: string;
  servicePos: SourcePos;
  filePos?: SourcePos;
  /** `services.web.extends`, for messages. */
  label: string;
}

/** A service's grant of a top-level secret or config, mounted at `target` (absolute). */
export interface FileRef {
  source: string;
  target: string;
  /** Long syntax's owner and mode: applied to a secret or config that is copied in (content, environment). */
  uid?: number;
  gid?: number;
  mode?: number;
  pos: SourcePos;
}

/** A top-level secret or config: the host file whose content it is, or its text. */
export interface FileObjectLayer {
  name: string;
  pos: SourcePos;
  /** Absolute; undefined after a problem was reported. */
  file?: string;
  /** `content:` (configs), or the value of the variable `environment:` names. */
  text?: string;
  /** The variable `environment:` names, when it is not set. */
  unset?: string;
  /** Why it cannot be provided on a single engine (external; a file that is not there). */
  unavailable?: string;
}

export type LayerNetwork = ServiceNetwork & { pos: SourcePos };

/** Fields whose layer form differs from the final ServiceSpec. */
type Reshaped =
  | 'name'
  | 'pos'
  | 'build'
  | 'healthcheck'
  | 'resources'
  | 'environment'
  | 'extraHosts'
  | 'networks'
  | 'logging';

export interface TaggedKey {
  key: string;
  /** An entry of a mapping-valued key: `environment.DEBUG`. */
  entry?: string;
  tag: MergeTag;
}

export type ServiceLayer = Partial<Omit<ServiceSpec, Reshaped>> & {
  name: string;
  pos: SourcePos;
  build?: BuildLayer;
  healthcheck?: HealthcheckLayer;
  resources?: ResourcesLayer;
  /** Variables from env_file, in file order; `environment` wins over them when both set a key. */
  envFromFiles?: Record<string, string>;
  /** undefined: a bare `KEY` whose variable is unset, which removes the key (also from env files). */
  environment?: Record<string, string | undefined>;
  /** hostname -> addresses. */
  extraHosts?: Record<string, string[]>;
  networks?: Record<string, LayerNetwork>;
  logging?: { driver?: string; options?: Record<string, string> };
  /** Labels from label_file, in file order; `labels` wins over them. */
  labelsFromFiles?: Record<string, string>;
  /** `gpus`: device requests that follow deploy's reservations.devices. */
  gpus?: DeviceRequestSpec[];
  /** compose's service-level resource keys (mem_limit, cpus, ...), by key, with positions. */
  resourceKeys?: Record<string, Placed<number | string | boolean>>;
  secrets?: FileRef[];
  configs?: FileRef[];
  /** deploy.restart_policy, as the engine's policy: it wins over `restart`, as in compose. */
  deployRestart?: ServiceSpec['restart'];
  /** Only until extends is applied. */
  extends?: ExtendsRef;
  /** compose's `!reset` / `!override` in this source; applied when it is merged onto earlier ones. */
  tagged?: TaggedKey[];
  /** `provider.type`: a service a compose plugin runs, not a container; left out of the run. */
  provider?: string;
  /** CDI names in `devices`, as a device request to the "cdi" driver. */
  cdiDevices?: DeviceRequestSpec[];
};

export type NetworkLayer = Partial<Omit<NetworkSpec, 'name' | 'pos'>> & {
  name: string;
  pos: SourcePos;
  /** `name:` as written, with its position, to warn when it cannot be honoured. */
  customName?: { value: string; pos: SourcePos };
  /** Keys written besides `external`, which compose rejects on an external network. */
  configuredKeys?: { key: string; pos: SourcePos }[];
};

export type VolumeLayer = Partial<Omit<VolumeSpec, 'name' | 'pos'>> & {
  name: string;
  pos: SourcePos;
  customName?: { value: string; pos: SourcePos };
  configuredKeys?: { key: string; pos: SourcePos }[];
};

/** Everything one source contributes. */
export interface SourceLayer {
  name?: string;
  services: ServiceLayer[];
  networks: NetworkLayer[];
  volumes: VolumeLayer[];
  secrets: FileObjectLayer[];
  configs: FileObjectLayer[];
  /** Top-level entries this source marks `!reset` (removed) or `!override` (replaced, not merged): "services.web". */
  tagged?: { section: Section; name: string; tag: MergeTag }[];
}

export type Section = 'services' | 'networks' | 'volumes' | 'secrets' | 'configs';
