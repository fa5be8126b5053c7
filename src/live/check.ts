import type { z } from 'zod';
import type { Clock } from '../common/clock.js';
import type { KindSchema, Outcome } from '../model/check.js';
import type { CommonCheck } from '../model/common-check.js';
import type { Suite } from '../model/suite.js';
import type { Runtime } from './runtime.js';

export interface CheckContext {
  suite: Suite;
  /** Aborts at the attempt's time limit or on cancellation. */
  signal: AbortSignal;
  clock: Clock;
  /** undefined for static checks (`stackcheck validate`): nothing is running. */
  runtime?: Runtime;
}

export interface CheckKind<
  Shape extends z.core.$ZodShape = z.core.$ZodShape,
  Name extends string = string,
> extends KindSchema<Shape, Name> {
  attempt(check: z.output<z.ZodObject<Shape>> & CommonCheck, ctx: CheckContext): Promise<Outcome>;
  /**
   * stackcheck's own set-up for an attempt (a probe sidecar to start), done before the
   * attempt's time limit starts: the manifest's `timeout` bounds the service's answer, not an
   * engine busy starting other containers (1-4 s here under a 20-container bring-up). Failures
   * are left to the attempt, which meets them again and reports them.
   */
  prepare?(check: z.output<z.ZodObject<Shape>> & CommonCheck, ctx: CheckContext): Promise<void>;
}

/** A kind's schema with its `attempt`, whose check is typed by the schema's shape. */
export function defineKind<Shape extends z.core.$ZodShape, Name extends string>(
  k: CheckKind<Shape, Name>,
): CheckKind<Shape, Name> {
  return k;
}

/**
 * Whether an attempt's signal ended at the check's time limit (not a cancelled run): a kind
 * that can answer with what it has by then (sse's clients, a reach matrix's finished cells) does.
 */
export function isTimeout(signal: AbortSignal): boolean {
  return (signal.reason as Error | undefined)?.name === 'TimeoutError';
}
