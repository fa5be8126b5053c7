import { count } from './kinds/count.js';
import { diff } from './kinds/diff.js';
import { dns } from './kinds/dns.js';
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
import type { KindName } from './schema.js';
import type { CheckKind } from '../live/check.js';
import { Registry } from '../model/registry.js';

/** Every kind the schema registry (schema.ts) names, with its `attempt`: a missing one does not compile. */
const KINDS = {
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
  dns,
} satisfies { [K in KindName]: { kind: K } };

const RUN_KINDS = new Registry(
  'check kind',
  Object.values(KINDS as unknown as Record<string, CheckKind>),
  (k) => k.kind,
);

export function kindOf(name: string): CheckKind {
  return RUN_KINDS.of(name);
}
