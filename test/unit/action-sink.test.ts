import { afterEach, describe, expect, it, vi } from 'vitest';
import { runnerSink } from '../../src/action/sink.js';

// The reports reach the runner only through this sink: its workflow commands are what the
// runner parses into annotations.
describe('the runner’s sink', () => {
  afterEach(() => vi.restoreAllMocks());

  it('annotates at the file, line and column the runner reads, leaving out what is absent', () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    runnerSink.annotate({
      level: 'error',
      title: 'check failed: a',
      message: 'status 500\nbody: x',
      file: 'stack/stackcheck.yml',
      line: 14,
      col: 7,
    });
    runnerSink.annotate({ level: 'warning', title: 'flaky check: b', message: 'm', line: 3 });
    runnerSink.annotate({ level: 'notice', title: 'and 2 more', message: 'see the summary' });
    expect(out).toEqual([
      '::error title=check failed%3A a,file=stack/stackcheck.yml,line=14,col=7::status 500%0Abody: x\n',
      '::warning title=flaky check%3A b,line=3::m\n',
      '::notice title=and 2 more::see the summary\n',
    ]);
  });
});
