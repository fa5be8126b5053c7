import * as core from '@actions/core';
import type { ReportSink } from '../report/publish.js';

/** The runner's surfaces, for the reports: workflow commands on stdout and the runner's files. */
export const runnerSink: ReportSink = {
  line: (t) => core.info(t),
  startGroup: (n) => core.startGroup(n),
  endGroup: () => core.endGroup(),
  warning: (m) => core.warning(m),
  annotate: (a) => {
    const props = { title: a.title, file: a.file, startLine: a.line, startColumn: a.col };
    if (a.level === 'error') core.error(a.message, props);
    else if (a.level === 'warning') core.warning(a.message, props);
    else core.notice(a.message, props);
  },
  setOutput: (name, value) => core.setOutput(name, value),
  summary: async (markdown) => {
    await core.summary.addRaw(markdown, true).write();
  },
};
