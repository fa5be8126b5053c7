import type { z } from 'zod';
import type { ProbeRoute } from './addressing.js';
import type { ServiceRefUse } from './suite.js';

export type CheckStatus = 'passed' | 'failed' | 'skipped' | 'error';

/** The verdict of one attempt. `skipped` and `error` end the check; `failed` may be retried. */
export interface Outcome {
  status: CheckStatus;
  message: string;
  /** What a reviewer needs to believe the verdict: request and response excerpts, output, counts. */
  evidence: Record<string, unknown>;
}

/**
 * What the manifest knows of a kind: its key, keys and the services it names. Kept apart from
 * `attempt` so that loading a manifest (and its JSON Schema) loads no probe or engine code.
 */
export interface KindSchema<
  Shape extends z.core.$ZodShape = z.core.$ZodShape,
  Name extends string = string,
> {
  /** The key that selects this kind in a check entry (`http:`, `exec:` …). */
  kind: Name;
  /** The kind's own keys; the common ones are added by the registry. */
  shape: Shape;
  /** `static` kinds read the compose models only and also run in `stackcheck validate`. */
  phase: 'static' | 'live';
  refs(check: z.output<z.ZodObject<Shape>>): ServiceRefUse[];
  /** Further load-time problems (an invalid regex), as messages at the check's position. */
  problems?(check: z.output<z.ZodObject<Shape>>): { message: string; path: (string | number)[] }[];
  /** The connections it makes from inside a service (`from:`), judged addressable at load. */
  routes?(check: z.output<z.ZodObject<Shape>>): ProbeRoute[];
}

/** Helps a kind declare its schema with its types inferred from its shape. */
export function defineKindSchema<Shape extends z.core.$ZodShape, Name extends string>(
  k: KindSchema<Shape, Name>,
): KindSchema<Shape, Name> {
  return k;
}
