import { z } from 'zod';
import { parseDuration } from '../common/duration.js';

/** Small schema pieces shared by the manifest and the check kinds. */

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export const name = (what: string) =>
  z
    .string()
    .regex(
      NAME_RE,
      `${what} names use letters, digits, "_", "." and "-", and start with a letter or digit`,
    );

export const duration = () =>
  z
    .string()
    .refine((s) => parseDuration(s) !== undefined && /[a-z]$/.test(s.trim()), {
      message: 'expected a duration with a unit, like 500ms, 30s or 2m',
    })
    .meta({ pattern: '^(\\d+(\\.\\d+)?(us|ms|s|m|h))+$' });

