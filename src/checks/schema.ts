import { z } from 'zod';
import { countSchema } from './kinds/count.schema.js';
import { diffSchema } from './kinds/diff.schema.js';
import { dnsSchema } from './kinds/dns.schema.js';
import { execSchema } from './kinds/exec.schema.js';
import { gpuSchema } from './kinds/gpu.schema.js';
import { httpSchema } from './kinds/http.schema.js';
import { logsSchema } from './kinds/logs.schema.js';
import { portsSchema } from './kinds/ports.schema.js';
import { propagationSchema } from './kinds/propagation.schema.js';
import { reachSchema } from './kinds/reach.schema.js';
import { securitySchema } from './kinds/security.schema.js';
import { sseSchema } from './kinds/sse.schema.js';
import { stateSchema } from './kinds/state.schema.js';
import { tcpSchema } from './kinds/tcp.schema.js';
import type { KindSchema } from '../model/check.js';
import { CommonCheckShape } from '../model/common-check.js';
import { Registry } from '../model/registry.js';

/**
 * Every check kind's schema, in the order the JSON Schema lists them: what the manifest loader
 * needs, without any kind's runtime (registry.ts adds that). A new kind is one line here and
 * one in registry.ts.
 */
const SCHEMAS = [
  httpSchema,
  execSchema,
  tcpSchema,
  reachSchema,
  sseSchema,
  gpuSchema,
  logsSchema,
  stateSchema,
  countSchema,
  portsSchema,
  securitySchema,
  diffSchema,
  propagationSchema,
  dnsSchema,
] as const;

export type KindName = (typeof SCHEMAS)[number]['kind'];

const KINDS = new Registry(
  'check kind',
  SCHEMAS as unknown as readonly KindSchema[],
  (k) => k.kind,
);

export function kindSchemaOf(name: string): KindSchema {
  return KINDS.of(name);
}

export const KIND_NAMES = KINDS.names;

/** The schema of one check entry of a kind: the common keys plus the kind's own. */
export function entrySchema(k: KindSchema) {
  return z.strictObject({ ...CommonCheckShape, ...k.shape });
}

/** For the JSON Schema: an entry is any one kind's entry. */
export const CheckSchema = z.union(
  KINDS.entries.map(entrySchema) as unknown as [z.ZodTypeAny, ...z.ZodTypeAny[]],
);
