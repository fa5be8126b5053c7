import type { z } from 'zod';
import type { CheckSpec, Outcome, ServiceRefUse } from '../checks/types.js';
import type { RefScope } from '../checks/refs.js';
import type { Runtime } from '../checks/runtime.js';
import type { Clock } from '../common/clock.js';
import type { SourcePos } from '../common/errors.js';
import type { Suite } from '../manifest/suite.js';
import type { Progress } from '../orchestrator/progress.js';
import type { FaultSet } from './faults.js';

/**
 * Something a step did to the system that must be undone: a partition, a pause, a node
 * taken down. Healing twice is harmless; `heal` never touches what the fault did not create.
 */
export interface Fault {
  id: string;
  /** The step key that made it (`partition`, `pause` …): `heal: partition` heals these. */
  kind: string;
  description: string;
  /** Which mechanism was used (e.g. `iptables`, `netem`, `proxy`), for the results. */
  mechanism: string;
  /** How long healing may take (default 30 s): bringing a node's services back waits for them. */
  healTimeoutMs?: number;
  heal(signal: AbortSignal): Promise<void>;
}

export interface StepContext {
  suite: Suite;
  runtime: Runtime;
  clock: Clock;
  /** Aborts on cancellation (or at the scenario's own end). */
  signal: AbortSignal;
  faults: FaultSet;
  progress?: Progress;
  /** The step's `for:`, for faults: heal after this long. */
  forMs?: number;
}

/**
 * How a step is written in the manifest and what it names. Kept apart from `run` so that
 * loading a manifest (and its JSON Schema) loads no engine or fault code.
 */
export interface StepSchema<
  Shape extends z.core.$ZodShape = z.core.$ZodShape,
  Key extends string = string,
> {
  /** The key that selects this step (`stop:`, `partition:` …). */
  key: Key;
  /** The step's own keys besides `name`, `for` (faults) and the action key itself. */
  shape: Shape;
  refs(step: z.output<z.ZodObject<Shape>>): ServiceRefUse[];
  problems?(
    step: z.output<z.ZodObject<Shape>>,
    suite: RefScope & Pick<Suite, 'nodes'>,
  ): { message: string; path: (string | number)[] }[];
  /** Faults accept `for:` (healed after that long). */
  fault?: boolean;
}

/** A step's schema with how it runs. */
export interface StepKind<
  Shape extends z.core.$ZodShape = z.core.$ZodShape,
  Key extends string = string,
> extends StepSchema<Shape, Key> {
  run(step: z.output<z.ZodObject<Shape>>, ctx: StepContext): Promise<Outcome>;
}

/** Helps a step declare its schema with its types inferred from its shape. */
export function defineStepSchema<Shape extends z.core.$ZodShape, Key extends string>(
  k: StepSchema<Shape, Key>,
): StepSchema<Shape, Key> {
  return k;
}

/** A step's schema with its `run`, whose step is typed by the schema's shape. */
export function defineStep<Shape extends z.core.$ZodShape, Key extends string>(
  k: StepKind<Shape, Key>,
): StepKind<Shape, Key> {
  return k;
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
