import { takeSnapshot } from '../../snapshot/capture.js';
import { resolveSubject } from '../../model/snapshot.js';
import { keepSnapshot } from '../../snapshot/store.js';
import { defineStep } from '../../live/step.js';
import { snapshotSchema } from './snapshot.schema.js';

/**
 * Takes a named snapshot at this point of a scenario, for a later `diff` check to compare
 * (`left: { taken: before }`): one node or service before and after a step.
 */
export const snapshot = defineStep({
  ...snapshotSchema,
  async run(step, ctx) {
    const spec = ctx.suite.snapshots?.[step.snapshot.take];
    if (!spec)
      return { status: 'error', message: `no snapshot "${step.snapshot.take}"`, evidence: {} };
    const of = step.snapshot.of ?? (spec.of?.length === 1 ? spec.of[0] : undefined);
    if (!of)
      return {
        status: 'error',
        message: `say what to take snapshot "${spec.name}" of: \`of:\` a node or a service`,
        evidence: {},
      };
    const subject = resolveSubject(ctx.suite, of);
    if (typeof subject === 'string') return { status: 'error', message: subject, evidence: {} };
    const as = step.snapshot.as ?? spec.name;
    const s = await takeSnapshot(spec, subject, ctx.runtime, { name: as, signal: ctx.signal });
    keepSnapshot(ctx.runtime, as, s);
    const evidence = {
      subject: s.subject,
      entries: Object.keys(s.entries).length,
      ...(s.incomplete.length && { incomplete: s.incomplete }),
    };
    if (s.incomplete.length)
      return {
        status: 'error',
        message: `snapshot ${as} of ${s.subject} is incomplete: ${s.incomplete.join('; ')}`,
        evidence,
      };
    return {
      status: 'passed',
      message: `took ${as} of ${s.subject}: ${evidence.entries} keys`,
      evidence,
    };
  },
});
