import type { z } from 'zod';
import type { Suite } from '../../model/suite.js';
import { resolveServiceRef } from '../../model/refs.js';
import type { Runtime } from '../../live/runtime.js';
import {
  judgeSubject,
  subjectFromCompose,
  subjectFromContainer,
  type Finding,
  type Subject,
} from '../security-rules.js';
import { defineKind } from '../../live/check.js';
import type { Outcome } from '../../model/check.js';
import { RULES, securitySchema, type Rule, type SecuritySpec } from './security.schema.js';

type Spec = z.output<typeof SecuritySpec>;

const MESSAGE_ITEMS = 5;

export const security = defineKind({
  ...securitySchema,
  async attempt(c, ctx) {
    const targets = await subjects(c.security, ctx.suite, ctx.runtime, ctx.signal);
    return judgeSecurity(c.security, targets);
  },
});

export interface Target {
  /** topology/service */
  service: string;
  container?: string;
  subject: Subject;
  /** Why the compose model was judged although the suite runs. */
  note?: string;
}

/** What to judge: each service's first running replica (replicas share one configuration), else its compose model. */
async function subjects(
  spec: Spec,
  suite: Pick<Suite, 'topologies'>,
  runtime: Runtime | undefined,
  signal: AbortSignal,
): Promise<Target[]> {
  const refs = spec.service
    ? [resolveServiceRef(suite, spec.service)].flatMap((r) => (typeof r === 'string' ? [] : [r]))
    : suite.topologies.flatMap((t) =>
        Object.keys(t.project.services).map((service) => ({ topology: t.name, service })),
      );
  return Promise.all(
    refs.map(async ({ topology, service }): Promise<Target> => {
      const name = `${topology}/${service}`;
      const model = suite.topologies.find((t) => t.name === topology)!.project.services[service]!;
      if (!runtime) return { service: name, subject: subjectFromCompose(model) };
      const replica = runtime.replicas(name)[0];
      if (!replica) {
        return {
          service: name,
          subject: subjectFromCompose(model),
          note: 'no container of this run: judged from the compose model',
        };
      }
      const state = await runtime.inspect(replica, signal);
      if (!state.config) {
        return {
          service: name,
          container: replica.containerName,
          subject: subjectFromCompose(model),
          note: 'the engine did not report its configuration: judged from the compose model',
        };
      }
      return {
        service: name,
        container: replica.containerName,
        subject: subjectFromContainer(state.config),
      };
    }),
  );
}

interface Item {
  service: string;
  rule: Rule;
  detail: string;
}

/** Applies the rules to each target and folds the findings into one verdict. */
export function judgeSecurity(spec: Pick<Spec, 'rules' | 'allowEnv'>, targets: Target[]): Outcome {
  const violations: Item[] = [];
  const waived: Item[] = [];
  const unknown: Item[] = [];
  const services = targets.map((t) => {
    const findings = judgeSubject(t.subject, { allowEnv: spec.allowEnv });
    const byRule = Object.fromEntries(
      RULES.map((rule) => {
        const f: Finding = findings[rule];
        const requirement = spec.rules[rule];
        const item = { service: t.service, rule, detail: f.detail };
        if (f.verdict === 'violation')
          (requirement === 'required' ? violations : waived).push(item);
        if (f.verdict === 'unknown' && requirement === 'required') unknown.push(item);
        return [
          rule,
          { requirement, verdict: f.verdict, detail: f.detail, ...(f.facts && { facts: f.facts }) },
        ];
      }),
    );
    return {
      service: t.service,
      ...(t.container && { container: t.container }),
      judged: t.subject.from,
      ...(t.note && { note: t.note }),
      findings: byRule,
    };
  });
  const froms = [...new Set(targets.map((t) => t.subject.from))];
  const evidence = {
    judged: froms.length
      ? froms
          .map((f) => (f === 'container' ? 'running containers' : 'compose models'))
          .join(' and ')
      : 'nothing',
    rules: spec.rules,
    services,
    violations,
    waived,
    ...(unknown.length && { unknown }),
  };
  const line = (i: Item) => `${i.service} ${i.rule}: ${i.detail}`;
  const list = (items: Item[]) =>
    items.slice(0, MESSAGE_ITEMS).map(line).join('; ') +
    (items.length > MESSAGE_ITEMS
      ? `; and ${items.length - MESSAGE_ITEMS} more (see evidence)`
      : '');
  if (targets.length === 0) return { status: 'error', message: 'no service to judge', evidence };
  if (violations.length) {
    return {
      status: 'failed',
      message: `${violations.length} violation${violations.length === 1 ? '' : 's'} of required rules: ${list(violations)}`,
      evidence,
    };
  }
  if (unknown.length) {
    return {
      status: 'skipped',
      message: `cannot be judged without running: ${list(unknown)}`,
      evidence,
    };
  }
  const required = RULES.filter((r) => spec.rules[r] === 'required');
  const waivedNote = waived.length
    ? ` (waived: ${[...new Set(waived.map((w) => w.rule))].map((r) => `${r} on ${waived.filter((w) => w.rule === r).length}`).join(', ')})`
    : '';
  return {
    status: 'passed',
    message: `${targets.length} service${targets.length === 1 ? '' : 's'} meet${targets.length === 1 ? 's' : ''} ${required.join(', ') || 'no required rules'}${waivedNote}`,
    evidence,
  };
}
