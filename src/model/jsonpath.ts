/**
 * The JSONPath subset checks need: `$`, `.key`, `['key']`, `["key"]` and `[index]`
 * (negative counts from the end). Filters and wildcards are refused when the manifest is
 * loaded rather than evaluated loosely.
 */
export type PathSegment = string | number;

const SEGMENT = /\.([A-Za-z_$][\w$-]*)|\[(-?\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;

export function parseJsonPath(path: string): PathSegment[] | string {
  if (!path.startsWith('$')) return `JSONPath "${path}" must start with "$"`;
  const out: PathSegment[] = [];
  let i = 1;
  while (i < path.length) {
    SEGMENT.lastIndex = i;
    const m = SEGMENT.exec(path);
    if (!m)
      return `JSONPath "${path}": cannot read "${path.slice(i)}" (supported: .key, ['key'], [index])`;
    out.push(m[2] !== undefined ? Number(m[2]) : (m[1] ?? m[3] ?? m[4])!);
    i = SEGMENT.lastIndex;
  }
  return out;
}

/** The value at a parsed path, or `undefined` with found=false when a step is missing. */
export function valueAt(
  doc: unknown,
  segments: PathSegment[],
): { found: boolean; value?: unknown } {
  let cur: unknown = doc;
  for (const seg of segments) {
    if (typeof seg === 'number' && Array.isArray(cur)) {
      const idx = seg < 0 ? cur.length + seg : seg;
      if (idx < 0 || idx >= cur.length) return { found: false };
      cur = cur[idx];
    } else if (
      typeof seg === 'string' &&
      cur &&
      typeof cur === 'object' &&
      !Array.isArray(cur) &&
      seg in cur
    ) {
      cur = (cur as Record<string, unknown>)[seg];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: cur };
}

/** Whether `actual` contains `expected`: objects by subset, arrays element-wise, scalars equal. */
export function subsetMismatch(actual: unknown, expected: unknown, at = '$'): string | undefined {
  if (expected !== null && typeof expected === 'object') {
    if (Array.isArray(expected)) {
      if (!Array.isArray(actual)) return `${at} is not an array`;
      if (actual.length < expected.length)
        return `${at} has ${actual.length} items, expected at least ${expected.length}`;
      for (const [i, e] of expected.entries()) {
        const miss = subsetMismatch(actual[i], e, `${at}[${i}]`);
        if (miss) return miss;
      }
      return undefined;
    }
    if (!actual || typeof actual !== 'object' || Array.isArray(actual))
      return `${at} is not an object`;
    for (const [k, e] of Object.entries(expected)) {
      if (!(k in actual)) return `${at}.${k} is missing`;
      const miss = subsetMismatch((actual as Record<string, unknown>)[k], e, `${at}.${k}`);
      if (miss) return miss;
    }
    return undefined;
  }
  return Object.is(actual, expected) || actual === expected
    ? undefined
    : `${at} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;
}
