import { z } from 'zod';
import { count } from './kinds/count.js';
import { diff } from './kinds/diff.js';
import { exec } from './kinds/exec.js';
import { gpu } from './kinds/gpu.js';
import { http } from './kinds/http.js';
import { logs } from './kinds/logs.js';
import { ports } from './kinds/ports.js';
import { propagation } from './kinds/propagation.js';
import { reach } from './kinds/reach.js';
import { security } from './kinds/security.js';
import { sse } from './kinds/sse.js';
import { state } from './kinds/state.js';
import { tcp } from './kinds/tcp.js';
import { CommonCheckShape, type CheckKind } from './types.js';

/** Every check kind: a new kind is one file in kinds/ and one line here. */
export const KINDS: readonly CheckKind[] = [
  http,
  exec,
  tcp,
  reach,
  sse,
  gpu,
  logs,
  state,
  count,
  ports,
  security,
  diff,
  propagation,
] as unknown as CheckKind[];

const byName = new Map(KINDS.map((k) => [k.kind, k]));

export function kindOf(name: string): CheckKind {
  const k = byName.get(name);
  if (!k) throw new Error(`unknown check kind "${name}"`);
  return k;
}

export const KIND_NAMES: readonly string[] = KINDS.map((k) => k.kind);

/** The schema of one check entry of a kind: the common keys plus the kind's own. */
export function entrySchema(k: CheckKind) {
  return z.strictObject({ ...CommonCheckShape, ...k.shape });
}

/** For the JSON Schema: an entry is any one kind's entry. */
export const CheckSchema = z.union(
  KINDS.map(entrySchema) as unknown as [z.ZodTypeAny, ...z.ZodTypeAny[]],
);
