import type { z } from 'zod';
import type { RefScope } from './refs.js';
import type { ServiceRefUse, Suite } from './suite.js';

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

/** Helps a step declare its schema with its types inferred from its shape. */
export function defineStepSchema<Shape extends z.core.$ZodShape, Key extends string>(
  k: StepSchema<Shape, Key>,
): StepSchema<Shape, Key> {
  return k;
}
