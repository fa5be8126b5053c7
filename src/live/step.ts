import type { z } from 'zod';
import type { Outcome } from '../model/check.js';
import type { StepSchema } from '../model/step.js';
import type { FaultContext } from './fault-set.js';

/** What a step runs with: what a fault needs (./fault-set.ts), no more. */
export type StepContext = FaultContext;

/** A step's schema with how it runs. */
export interface StepKind<
  Shape extends z.core.$ZodShape = z.core.$ZodShape,
  Key extends string = string,
> extends StepSchema<Shape, Key> {
  run(step: z.output<z.ZodObject<Shape>>, ctx: StepContext): Promise<Outcome>;
}

/** A step's schema with its `run`, whose step is typed by the schema's shape. */
export function defineStep<Shape extends z.core.$ZodShape, Key extends string>(
  k: StepKind<Shape, Key>,
): StepKind<Shape, Key> {
  return k;
}
