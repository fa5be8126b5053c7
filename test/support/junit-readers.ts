import { readFileSync } from 'node:fs';
import { XmlDocument, XsdValidator } from 'libxml2-wasm';
import { xml2js, type Element } from 'xml-js';

/**
 * What the JUnit readers people use take from a report, by their own rules:
 *
 * - mikepenz/action-junit-report (src/testParser.ts): xml-js in compact mode; per testcase
 *   the `file` (else the failure's, else the testsuite's), `line` likewise, `classname`,
 *   `name`, `time`; the failure's (else the error's) `message` attribute, else the first two
 *   lines of its text, else the test name; `skipped` marks a skip.
 * - dorny/test-reporter's java-junit reader (java-junit-parser.ts): every testsuite's `name`
 *   (trimmed: it throws when missing) and `time` (parseFloat: NaN when missing), each
 *   testcase's `name` and `time`; failure or error means failed, skipped means skipped.
 *
 * Both are re-implemented here over the same parser (xml-js) so tests can read our reports
 * the way those actions will.
 */

type Compact = Record<string, unknown> & { _attributes?: Record<string, string>; _text?: string };

const asList = (v: unknown): Compact[] =>
  (v === undefined ? [] : Array.isArray(v) ? v : [v]) as Compact[];

export interface MikepenzCase {
  suite: string;
  classname?: string;
  name: string;
  time?: string;
  file?: string;
  line?: number;
  status: 'success' | 'failure' | 'skipped';
  message: string;
  details: string;
}

export function readLikeMikepenz(xml: string): MikepenzCase[] {
  const report = xml2js(xml, { compact: true }) as Compact;
  const out: MikepenzCase[] = [];
  const walk = (node: Compact) => {
    const suites = node.testsuite
      ? asList(node.testsuite)
      : node.testsuites
        ? asList((node.testsuites as Compact).testsuite)
        : [];
    for (const ts of suites) {
      walk(ts);
      for (const tc of asList(ts.testcase)) {
        const a = tc._attributes ?? {};
        const failure = asList(tc.failure)[0];
        const error = asList(tc.error)[0];
        const skip = tc.skipped !== undefined || a.status === 'disabled' || a.status === 'ignored';
        const trace = (
          (failure?._cdata ?? failure?._text ?? error?._cdata ?? error?._text ?? '') as string
        )
          .toString()
          .trim();
        const message = (
          failure?._attributes?.message ??
          error?._attributes?.message ??
          (trace.split('\n').slice(0, 2).join('\n') || a.name!)
        ).trim();
        const file = a.file ?? failure?._attributes?.file ?? ts._attributes?.file;
        const line = a.line ?? failure?._attributes?.line ?? ts._attributes?.line;
        out.push({
          suite: ts._attributes?.name ?? '',
          classname: a.classname,
          name: a.name!,
          time: a.time,
          file,
          line: line === undefined ? undefined : parseInt(line, 10),
          status: skip ? 'skipped' : failure || error ? 'failure' : 'success',
          message,
          details: trace,
        });
      }
    }
  };
  walk(report);
  return out;
}

export interface DornySuite {
  name: string;
  timeMs: number;
  tests: {
    name: string;
    timeMs: number;
    result: 'success' | 'failed' | 'skipped';
    message?: string;
  }[];
}

export function readLikeDorny(xml: string): { timeMs: number | undefined; suites: DornySuite[] } {
  const report = xml2js(xml, { compact: true }) as Compact;
  const root = report.testsuites as Compact;
  const suites = asList(root.testsuite).map((ts) => {
    const a = ts._attributes!;
    if (a.name === undefined)
      throw new Error('dorny: a testsuite without a name breaks ts.$.name.trim()');
    return {
      name: a.name.trim(),
      timeMs: parseFloat(a.time!) * 1000,
      tests: asList(ts.testcase).map((tc) => {
        const f = asList(tc.failure)[0] ?? asList(tc.error)[0];
        return {
          name: tc._attributes!.name!.trim(),
          timeMs: parseFloat(tc._attributes!.time!) * 1000,
          result: (tc.failure || tc.error
            ? 'failed'
            : tc.skipped
              ? 'skipped'
              : 'success') as DornySuite['tests'][number]['result'],
          message: f?._attributes?.message,
        };
      }),
    };
  });
  const seconds = parseFloat(root._attributes?.time ?? '');
  return { timeMs: isNaN(seconds) ? undefined : seconds * 1000, suites };
}

/** The XML as a tree of elements (non-compact), for structural assertions. */
export function elements(xml: string): Element {
  return xml2js(xml, { compact: false }) as Element;
}

const XSD = 'test/fixtures/junit/junit-10.xsd';

/**
 * Validation against Jenkins' junit-10.xsd (the schema the xunit plugin and many tools use),
 * with libxml2 (compiled to WebAssembly: nothing to install). That schema predates testcase
 * `file` and `line`, which mikepenz's reader and pytest's xunit1 use; `extended` adds exactly
 * those two attributes, and nothing else, to the testcase element.
 */
export function validateJUnit(xml: string, opts: { extended: boolean }): string[] {
  let xsd = readFileSync(XSD, 'utf8');
  if (opts.extended) {
    const anchor =
      '<xs:attribute name="group" type="xs:string"/>\n        </xs:complexType>\n    </xs:element>\n\n    <xs:element name="testsuite">';
    if (!xsd.includes(anchor)) throw new Error('junit-10.xsd changed: update the anchor');
    xsd = xsd.replace(
      anchor,
      anchor.replace(
        '<xs:attribute name="group" type="xs:string"/>',
        '<xs:attribute name="group" type="xs:string"/>\n            <xs:attribute name="file" type="xs:string"/>\n            <xs:attribute name="line" type="xs:positiveInteger"/>',
      ),
    );
  }
  const schemaDoc = XmlDocument.fromString(xsd);
  const validator = XsdValidator.fromDoc(schemaDoc);
  const doc = XmlDocument.fromString(xml);
  try {
    validator.validate(doc);
    return [];
  } catch (e) {
    const details = (e as { details?: { message: string }[] }).details;
    return details?.map((d) => d.message.trim()) ?? [String(e)];
  } finally {
    doc.dispose();
    validator.dispose();
    schemaDoc.dispose();
  }
}

/** The report with testcase `file` and `line` removed: what the unextended schema can judge. */
export function withoutFileAndLine(xml: string): string {
  return xml
    .replace(/(<testcase\b[^>]*?) file="[^"]*"/g, '$1')
    .replace(/(<testcase\b[^>]*?) line="\d+"/g, '$1');
}
