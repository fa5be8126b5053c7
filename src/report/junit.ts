import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { at, baseName, evidenceLines, topologyOf } from './evidence.js';
import type {
  CheckResult,
  RunResults,
  ScenarioResult,
  ServiceResult,
  TopologyResult,
} from '../model/results.js';
import { relocated } from './paths.js';
import { renderXml, type XmlElement } from './xml.js';

/**
 * JUnit XML from the results model: one <testsuite> per topology (each service's bring-up,
 * then the checks whose first target is in it), one per scenario (its steps), and one named
 * "checks" for checks that target no service. Every testcase carries `file` and `line` (the
 * manifest or compose position), as mikepenz/action-junit-report reads them; every testsuite
 * carries `name`, `time` and its counts, as dorny/test-reporter's java-junit reader needs.
 *
 * Written by hand rather than with junit-report-builder: that library cannot write a
 * testcase's `line`, and the whole format is a dozen elements (see xml.ts for escaping).
 */

export interface JUnitContext {
  /** The commit the run tested (GITHUB_SHA), recorded as a property. */
  commit?: string;
  /**
   * Turns a position's file (relative to where stackcheck ran) into the path the reporters
   * look up: relative to the repository root, as mikepenz/action-junit-report annotates it.
   */
  path?: (file: string) => string;
}

type Outcome =
  | { kind: 'passed' }
  | { kind: 'failure' | 'error'; message: string; type: string; text: string }
  | { kind: 'skipped'; message: string };

export interface JUnitCase {
  classname: string;
  name: string;
  timeMs: number;
  file?: string;
  line?: number;
  outcome: Outcome;
  /** Written as <system-out>: what passed looked like, flakiness, healed faults. */
  out?: string;
}

export interface JUnitSuite {
  name: string;
  timeMs: number;
  file?: string;
  properties: Record<string, string | undefined>;
  cases: JUnitCase[];
}

/**
 * The report's sections, in order. Each turns one part of the results into testsuites:
 * a new part of the results model is one more function here.
 */
const SECTIONS: ((r: RunResults, ctx: JUnitContext) => JUnitSuite[])[] = [
  problemSuite,
  topologySuites,
  scenarioSuites,
  looseCheckSuite,
];

export function junitSuites(r: RunResults, ctx: JUnitContext = {}): JUnitSuite[] {
  return SECTIONS.flatMap((section) => section(r, ctx));
}

export interface JUnitTotals {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  passed: number;
}

export function junitTotals(suites: JUnitSuite[]): JUnitTotals {
  const cases = suites.flatMap((s) => s.cases);
  const count = (k: Outcome['kind']) => cases.filter((c) => c.outcome.kind === k).length;
  return {
    tests: cases.length,
    failures: count('failure'),
    errors: count('error'),
    skipped: count('skipped'),
    passed: count('passed'),
  };
}

export function renderJUnit(results: RunResults, ctx: JUnitContext = {}): string {
  const r = ctx.path ? relocated(results, ctx.path) : results;
  const suites = junitSuites(r, ctx);
  const totals = junitTotals(suites);
  return renderXml({
    name: 'testsuites',
    attrs: {
      name: r.suite,
      tests: totals.tests,
      failures: totals.failures,
      errors: totals.errors,
      time: seconds(r.durationMs),
    },
    children: suites.map((s) => suiteElement(s, r.startedAt)),
  });
}

export function writeJUnit(r: RunResults, file: string, ctx: JUnitContext = {}): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderJUnit(r, ctx));
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

function suiteElement(s: JUnitSuite, timestamp: string): XmlElement {
  const t = junitTotals([s]);
  const props = Object.entries(s.properties).filter(
    (p): p is [string, string] => p[1] !== undefined && p[1] !== '',
  );
  return {
    name: 'testsuite',
    attrs: {
      name: s.name,
      tests: t.tests,
      failures: t.failures,
      errors: t.errors,
      skipped: t.skipped,
      time: seconds(s.timeMs),
      timestamp,
      file: s.file,
    },
    children: [
      {
        name: 'properties',
        children: props.map(([name, value]) => ({ name: 'property', attrs: { name, value } })),
      },
      ...s.cases.map(caseElement),
    ],
  };
}

function caseElement(c: JUnitCase): XmlElement {
  const children: XmlElement[] = [];
  const o = c.outcome;
  if (o.kind === 'failure' || o.kind === 'error') {
    children.push({ name: o.kind, attrs: { message: o.message, type: o.type }, text: o.text });
  } else if (o.kind === 'skipped') {
    children.push({ name: 'skipped', attrs: { message: o.message } });
  }
  if (c.out) children.push({ name: 'system-out', text: c.out });
  return {
    name: 'testcase',
    attrs: {
      classname: c.classname,
      name: c.name,
      time: seconds(c.timeMs),
      file: c.file,
      line: c.line,
    },
    children,
  };
}

function commonProperties(
  r: RunResults,
  ctx: JUnitContext,
  matrix?: Record<string, string>,
): Record<string, string | undefined> {
  return {
    suite: r.suite,
    'run.id': r.runId,
    commit: ctx.commit,
    ...(r.label && { runner: r.label }),
    ...Object.fromEntries(Object.entries(matrix ?? {}).map(([k, v]) => [`matrix.${k}`, v])),
  };
}

// ---------------------------------------------------------------------------------------------
// Sections

function topologySuites(r: RunResults, ctx: JUnitContext): JUnitSuite[] {
  return r.topologies.map((t) => {
    const classname = `${r.suite}.${t.name}`;
    const checks = r.checks.filter((c) => topologyOf(r, c) === t);
    const cases = [
      ...setupCase(t, classname),
      ...t.services.map((s) => serviceCase(t, s, classname)),
      ...checks.map((c) => checkCase(c, classname)),
    ];
    return {
      name: `topology ${t.name}`,
      timeMs: Math.max(0, ...t.services.map((s) => s.healthyMs ?? s.startedMs ?? 0)) + sum(checks),
      file: t.source.file,
      // An attached topology names the compose project it was found as.
      properties: {
        ...commonProperties(r, ctx, t.matrix),
        node: t.node,
        attached: t.attached?.project,
      },
      cases,
    };
  });
}

/** What stopped the run before it started, each problem an error at the line it is about. */
function problemSuite(r: RunResults, ctx: JUnitContext): JUnitSuite[] {
  if (!r.problems?.length) return [];
  return [
    {
      name: 'problems',
      timeMs: 0,
      file: r.problems.find((p) => p.pos)?.pos?.file,
      properties: commonProperties(r, ctx),
      cases: r.problems.map((p) => ({
        classname: `${r.suite}.problems`,
        name: p.message.split('\n')[0]!,
        timeMs: 0,
        file: p.pos?.file,
        line: p.pos?.line,
        outcome: {
          kind: 'error',
          type: 'problem',
          message: p.message,
          text: [p.message, p.hint, p.pos && `at ${at(p.pos)}`].filter(Boolean).join('\n'),
        },
      })),
    },
  ];
}

function looseCheckSuite(r: RunResults, ctx: JUnitContext): JUnitSuite[] {
  const loose = r.checks.filter((c) => !topologyOf(r, c));
  if (!loose.length) return [];
  return [
    {
      name: 'checks',
      timeMs: sum(loose),
      file: loose[0]!.source.file,
      properties: commonProperties(r, ctx),
      cases: loose.map((c) => checkCase(c, `${r.suite}.checks`)),
    },
  ];
}

function scenarioSuites(r: RunResults, ctx: JUnitContext): JUnitSuite[] {
  return (r.scenarios ?? []).map((s) => ({
    name: `scenario ${s.name}`,
    timeMs: s.durationMs,
    file: s.source.file,
    properties: commonProperties(r, ctx, s.matrix),
    cases: scenarioCases(r, s),
  }));
}

function scenarioCases(r: RunResults, s: ScenarioResult): JUnitCase[] {
  const classname = `${r.suite}.scenario.${baseName(s.name, s.matrix)}`;
  const cases: JUnitCase[] = s.steps.map((step) => ({
    classname,
    name: `${step.index + 1}. ${step.name}`,
    timeMs: step.durationMs,
    file: step.source.file,
    line: step.source.line,
    outcome: outcome(step.status, step.message, step.action, step.evidence, step.source),
    out: step.status === 'passed' ? step.message : undefined,
  }));
  if (!s.steps.length && s.status !== 'passed') {
    cases.push({
      classname,
      name: s.name,
      timeMs: s.durationMs,
      file: s.source.file,
      line: s.source.line,
      outcome: outcome(s.status, s.message ?? `scenario ${s.status}`, 'scenario', {}, s.source),
    });
  }
  if (s.faults.length) {
    const unhealed = s.faults.filter((f) => f.error);
    cases.push({
      classname,
      name: 'faults healed',
      timeMs: 0,
      file: s.source.file,
      line: s.source.line,
      outcome: unhealed.length
        ? {
            kind: 'error',
            type: 'heal',
            message: `${unhealed.length} fault(s) could not be healed`,
            text: unhealed.map((f) => `${f.description}: ${f.error}`).join('\n'),
          }
        : { kind: 'passed' },
      out: s.faults
        .map((f) => `${f.kind} (${f.mechanism}): ${f.description}; healed: ${f.reason}`)
        .join('\n'),
    });
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Cases

/**
 * A topology that failed before any of its services could start (the engine refused a network,
 * say): an error of its own, so the report is not all skips while the run failed.
 */
function setupCase(t: TopologyResult, classname: string): JUnitCase[] {
  if (!t.failure || t.failure.service) return [];
  const pos = t.failure.source ?? t.source;
  return [
    {
      classname,
      name: `topology ${t.name} is set up`,
      timeMs: 0,
      file: pos.file,
      line: pos.line,
      outcome: {
        kind: 'error',
        type: 'bring-up',
        message: t.failure.message,
        text: [...t.failure.details, `at ${at(pos)}`].join('\n'),
      },
    },
  ];
}

function serviceCase(t: TopologyResult, s: ServiceResult, classname: string): JUnitCase {
  const failed = t.failure?.service === s.name;
  const pos = (failed && t.failure?.source) || s.source || t.source;
  const timeMs = s.startedMs !== undefined ? (s.healthyMs ?? s.startedMs) - s.startedMs : 0;
  let result: Outcome;
  if (failed) {
    const text = [...t.failure!.details, `at ${at(pos)}`].join('\n');
    result = {
      kind: t.status === 'error' ? 'error' : 'failure',
      type: 'bring-up',
      message: t.failure!.message,
      text,
    };
  } else if (s.status === 'failed') {
    result = {
      kind: 'failure',
      type: 'bring-up',
      message: `service ${s.name} failed`,
      text: `at ${at(pos)}`,
    };
  } else if (s.status === 'cancelled' || s.status === 'pending') {
    result = {
      kind: 'skipped',
      message:
        t.status === 'cancelled'
          ? 'not brought up: the run was cancelled'
          : `not brought up: ${!t.failure ? s.status : t.failure.service ? `service ${t.failure.service} failed first` : t.failure.message}`,
    };
  } else {
    result = { kind: 'passed' };
  }
  const replicas = s.replicas > 1 ? ` ×${s.replicas}` : '';
  return {
    classname,
    name: `service ${s.name}${replicas} is up`,
    timeMs,
    file: pos.file,
    line: pos.line,
    outcome: result,
    out: result.kind === 'passed' ? `${s.status}, health ${s.health}` : undefined,
  };
}

function checkCase(c: CheckResult, classname: string): JUnitCase {
  const notes = [
    c.message,
    ...(c.flaky ? [`flaky: passed after ${c.attempts} attempts`] : []),
  ].join('\n');
  return {
    classname,
    name: c.name,
    timeMs: c.durationMs,
    file: c.source.file,
    line: c.source.line,
    outcome: outcome(c.status, c.message, c.kind, c.evidence, c.source),
    out: c.status === 'passed' ? notes : undefined,
  };
}

function outcome(
  status: 'passed' | 'failed' | 'skipped' | 'error',
  message: string,
  type: string,
  evidence: Record<string, unknown>,
  pos: { file: string; line: number; column: number },
): Outcome {
  if (status === 'passed') return { kind: 'passed' };
  if (status === 'skipped') return { kind: 'skipped', message };
  const text = [message, ...evidenceLines(evidence), `at ${at(pos)}`].join('\n');
  return { kind: status === 'failed' ? 'failure' : 'error', message, type, text };
}

function sum(checks: CheckResult[]): number {
  return checks.reduce((n, c) => n + c.durationMs, 0);
}
