import { z } from 'zod';
import type { Clock } from '../common/clock.js';
import type { SourcePos } from '../common/errors.js';
import { duration } from '../manifest/schema-parts.js';
import type { Suite } from '../manifest/suite.js';
import type { ProbeRoute } from './addressing.js';
import type { CheckLink } from './links.js';
import { RepeatSchema } from './repeat.js';
import type { Runtime } from './runtime.js';

/** Fields every check has, whatever its kind. */
export const CommonCheckShape = {
  name: z.string().min(1).describe('What the check proves, in words a reviewer reads.'),
  timeout: duration().default('10s').describe('Time limit of one attempt.'),
  retry: z
    .strictObject({
      timeout: duration().describe('Keep retrying a failing check for this long.'),
      interval: duration().default('1s').describe('Wait between attempts.'),
      backoff: z
        .number()
        .min(1)
        .default(1)
        .describe('Multiply the interval by this after each attempt.'),
    })
    .optional(),
  repeat: RepeatSchema.optional(),
  serial: z.boolean().default(false).describe('Run alone, after the parallel checks.'),
  any: z
    .boolean()
    .default(false)
    .describe('On a scaled service, pass when one replica passes (default: every replica must).'),
};

export type CheckStatus = 'passed' | 'failed' | 'skipped' | 'error';

/** The verdict of one attempt. `skipped` and `error` end the check; `failed` may be retried. */
export interface Outcome {
  status: CheckStatus;
  message: string;
  /** What a reviewer needs to believe the verdict: request and response excerpts, output, counts. */
  evidence: Record<string, unknown>;
}

/** Where a check names a service, so the loader can verify it exists before anything starts. */
export interface ServiceRefUse {
  ref: string;
  /** Path of the value inside the check entry, for the error position. */
  path: (string | number)[];
}

export interface CheckContext {
  suite: Suite;
  /** Aborts at the attempt's time limit or on cancellation. */
  signal: AbortSignal;
  clock: Clock;
  /** undefined for static checks (`stackcheck validate`): nothing is running. */
  runtime?: Runtime;
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

export type CommonCheck = z.output<z.ZodObject<typeof CommonCheckShape>>;

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

/** Helps a kind declare its schema with its types inferred from its shape. */
export function defineKindSchema<Shape extends z.core.$ZodShape, Name extends string>(
  k: KindSchema<Shape, Name>,
): KindSchema<Shape, Name> {
  return k;
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
