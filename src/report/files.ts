import type { RunResults } from '../model/results.js';
import { writeHtml } from './html.js';
import { writeJson } from './json.js';
import { writeJUnit } from './junit.js';
import { writeSummary } from './summary.js';

export interface ReportFiles {
  json?: string;
  junit?: string;
  /** Markdown, as the job summary shows it. */
  summary?: string;
  /** The run as one self-contained page. */
  html?: string;
}

/** Writes the report files asked for, in this order: a failure keeps the earlier ones. */
export function writeReports(
  results: RunResults,
  files: ReportFiles,
  {
    commit = process.env.GITHUB_SHA,
    path,
  }: { commit?: string; path?: (file: string) => string } = {},
): void {
  if (files.json) writeJson(results, files.json);
  if (files.junit) writeJUnit(results, files.junit, { commit, path });
  if (files.summary) writeSummary(results, files.summary, { files, path });
  if (files.html) writeHtml(results, files.html);
}
