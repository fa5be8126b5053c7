import { z } from 'zod';

/**
 * How text is matched in expectations (stdout, body, logs): a plain string means "contains";
 * an object may combine equals, contains and regex, and `not` negates a match.
 */
const MatchObject = z.strictObject({
  equals: z.string().optional(),
  contains: z.string().optional(),
  regex: z.string().optional().describe('A JavaScript regular expression, matched anywhere.'),
});

export const TextMatchSchema = z.union([
  z.string().describe('The text contains this string.'),
  MatchObject.extend({
    not: z.union([z.string(), MatchObject]).optional().describe('The text must NOT match this.'),
  }),
]);
export type TextMatch = z.output<typeof TextMatchSchema>;

type Single = string | z.output<typeof MatchObject>;

function matchesOne(text: string, m: Single): string | undefined {
  if (typeof m === 'string')
    return text.includes(m) ? undefined : `does not contain ${JSON.stringify(m)}`;
  if (m.equals !== undefined && text !== m.equals) return `is not ${JSON.stringify(m.equals)}`;
  if (m.contains !== undefined && !text.includes(m.contains))
    return `does not contain ${JSON.stringify(m.contains)}`;
  if (m.regex !== undefined && !new RegExp(m.regex, 'm').test(text))
    return `does not match /${m.regex}/`;
  return undefined;
}

/** undefined when `text` matches, else why not ("does not contain …"). */
export function textMismatch(text: string, m: TextMatch): string | undefined {
  if (typeof m === 'string') return matchesOne(text, m);
  const { not, ...positive } = m;
  const miss = matchesOne(text, positive);
  if (miss) return miss;
  if (not !== undefined && matchesOne(text, not) === undefined) {
    return typeof not === 'string'
      ? `contains ${JSON.stringify(not)}`
      : `matches ${JSON.stringify(not)}, which it must not`;
  }
  return undefined;
}

/** Invalid regular expressions are manifest errors, found at load time. */
export function regexProblems(m: TextMatch | undefined): string[] {
  if (m === undefined || typeof m === 'string') return [];
  const all = [m.regex, typeof m.not === 'object' ? m.not.regex : undefined];
  return all.flatMap((r) => {
    if (r === undefined) return [];
    try {
      new RegExp(r);
      return [];
    } catch (e) {
      return [(e as Error).message];
    }
  });
}

/** A short excerpt for evidence: reports show it, they never need a whole body. */
export function excerpt(text: string, max = 500): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
