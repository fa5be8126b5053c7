import { z } from 'zod';
import { defineKindSchema } from '../../model/check.js';

/** A whole number; a string is accepted because `${NUM_GPUS}` interpolates to one. */
const Num = z
  .union([z.number().int().min(0), z.string()])
  .describe('A whole number, or a string holding one (e.g. "${NUM_GPUS}").');

export const CountSpec = z
  .strictObject({
    service: z
      .string()
      .optional()
      .describe('Count the replicas of this service (topology/service).'),
    label: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Count the containers of this run with this label: "key=value", or "key" for any value.',
      ),
    equals: Num.optional(),
    min: Num.optional(),
    max: Num.optional(),
  })
  .refine((c) => (c.service === undefined) !== (c.label === undefined), {
    message: 'give either `service` or `label`',
  })
  .refine((c) => c.equals !== undefined || c.min !== undefined || c.max !== undefined, {
    message: 'give `equals`, or `min` and/or `max`',
  })
  .refine((c) => c.equals === undefined || (c.min === undefined && c.max === undefined), {
    message: 'give `equals` alone, or `min` and/or `max`',
  });

export type Bound = 'equals' | 'min' | 'max';
export const BOUNDS: readonly Bound[] = ['equals', 'min', 'max'];

/** The number a bound holds, or undefined when it is not a whole number. */
export function wholeNumber(v: number | string): number | undefined {
  if (typeof v === 'number') return v;
  return /^\s*\d+\s*$/.test(v) ? Number(v) : undefined;
}

/** "key=value" or "key". */
export function parseLabel(text: string): { key: string; value?: string } {
  const eq = text.indexOf('=');
  return eq < 0
    ? { key: text.trim() }
    : { key: text.slice(0, eq).trim(), value: text.slice(eq + 1) };
}

export const countSchema = defineKindSchema({
  kind: 'count',
  phase: 'live',
  shape: { count: CountSpec },
  refs: (c) => (c.count.service ? [{ ref: c.count.service, path: ['count', 'service'] }] : []),
  problems: (c) => {
    const out: { message: string; path: (string | number)[] }[] = [];
    for (const b of BOUNDS) {
      const v = c.count[b];
      if (v !== undefined && wholeNumber(v) === undefined) {
        out.push({
          message: `${b}: ${JSON.stringify(v)} is not a whole number`,
          path: ['count', b],
        });
      }
    }
    const min = c.count.min === undefined ? undefined : wholeNumber(c.count.min);
    const max = c.count.max === undefined ? undefined : wholeNumber(c.count.max);
    if (min !== undefined && max !== undefined && min > max) {
      out.push({ message: `min (${min}) is above max (${max})`, path: ['count', 'min'] });
    }
    if (c.count.label !== undefined && parseLabel(c.count.label).key === '') {
      out.push({ message: 'label: write "key=value" or "key"', path: ['count', 'label'] });
    }
    return out;
  },
});
