import { z } from 'zod';
import { defineKindSchema } from '../../model/check.js';

/** The container security rules (judged in ../security-rules.ts). */
export const RULES = [
  'nonRoot',
  'notPrivileged',
  'noDockerSocket',
  'noHostSensitiveMounts',
  'noSecretsInEnv',
  'readOnlyRootfs',
  'limits',
] as const;
export type Rule = (typeof RULES)[number];

const Requirement = z
  .enum(['required', 'waived'])
  .describe(
    '`required`: a violation fails the check; `waived`: judged and reported, never fails it.',
  );

/**
 * The rules every service must meet unless waived. A writable root filesystem and missing
 * limits are reported but waived by default: both need per-service work (tmpfs paths, sizing)
 * that most compose files have not done yet; require them once yours have.
 */
export const DEFAULT_RULES = {
  nonRoot: 'required',
  notPrivileged: 'required',
  noDockerSocket: 'required',
  noHostSensitiveMounts: 'required',
  noSecretsInEnv: 'required',
  readOnlyRootfs: 'waived',
  limits: 'waived',
} as const satisfies Record<Rule, 'required' | 'waived'>;

const Rules = z.strictObject({
  nonRoot: Requirement.default('required').describe(
    "The process does not run as uid 0 (the image's USER counts).",
  ),
  notPrivileged: Requirement.default('required').describe(
    'Not `privileged`, and no `cap_add` of ALL or SYS_ADMIN.',
  ),
  noDockerSocket: Requirement.default('required').describe(
    'No bind mount of docker.sock (or podman/containerd sockets).',
  ),
  noHostSensitiveMounts: Requirement.default('required').describe(
    'No bind mount of /, /etc, /proc, /sys, /var/run, /root, /home and the like.',
  ),
  noSecretsInEnv: Requirement.default('required').describe(
    'No variable named like *PASSWORD*, *SECRET*, *TOKEN*, *API_KEY*, *PRIVATE_KEY* holds a literal value (a `$VAR` reference or a file path is fine).',
  ),
  readOnlyRootfs: Requirement.default('waived').describe('`read_only: true`. Waived by default.'),
  limits: Requirement.default('waived').describe('Memory and CPU limits set. Waived by default.'),
});

export const SecuritySpec = z.strictObject({
  service: z
    .string()
    .optional()
    .describe(
      'topology/service (topology may be left out when unique). Default: every service of every topology.',
    ),
  rules: Rules.prefault({}).describe(
    'Each rule `required` or `waived`; unlisted rules keep their defaults.',
  ),
  allowEnv: z
    .array(z.string())
    .default([])
    .describe('Variable names noSecretsInEnv accepts although they look like secrets.'),
});

export const securitySchema = defineKindSchema({
  kind: 'security',
  phase: 'static',
  shape: { security: SecuritySpec.prefault({}) },
  refs: (c) =>
    c.security.service ? [{ ref: c.security.service, path: ['security', 'service'] }] : [],
});
