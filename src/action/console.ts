import { formatDuration } from '../common/duration.js';
import type { Progress, ProgressEvent } from '../orchestrator/progress.js';
import { BringUpFold } from '../report/console.js';
import type { Log } from '../report/log.js';

type Phase = 'bring-up' | 'checks' | 'teardown';

/**
 * Progress for the runner's log: each phase of a run (bring-up, checks and scenarios,
 * teardown) in its own collapsible group, its lines inside; notes between phases stay
 * visible. The runner's groups cannot nest, so a phase ends when the next begins. Bring-up
 * is folded per topology as on the console, unless verbose.
 */
export class GroupedProgress implements Progress {
  private phase: Phase | undefined;
  private readonly fold: BringUpFold;

  constructor(
    private readonly log: Log,
    opts: { verbose?: boolean } = {},
  ) {
    this.fold = new BringUpFold(opts.verbose);
  }

  emit(e: ProgressEvent): void {
    if (e.kind === 'note') {
      if (/^matrix /.test(e.text)) this.close();
      this.log.line(e.level === 'warn' ? `warning: ${e.text}` : e.text);
      return;
    }
    if (e.kind === 'check') {
      this.enter('checks');
      const status = e.status === 'passed' ? 'passed' : e.status.toUpperCase();
      this.log.line(`  ${status.padEnd(7)} ${e.name} (${formatDuration(e.durationMs)})`);
      return;
    }
    if (e.kind === 'service' && (e.phase === 'removed' || e.phase === 'stopping')) {
      this.enter('teardown');
      this.log.line(`  ${e.phase}  ${e.topology}/${e.service}`);
      return;
    }
    this.enter('bring-up');
    for (const line of this.fold.lines(e)) this.log.line(line);
  }

  /** Ends the open group, if any. */
  close(): void {
    if (this.phase) this.log.endGroup();
    this.phase = undefined;
  }

  private enter(phase: Phase): void {
    if (this.phase === phase) return;
    this.close();
    const title = { 'bring-up': 'Bring-up', checks: 'Checks and scenarios', teardown: 'Teardown' }[
      phase
    ];
    this.log.startGroup(title);
    this.phase = phase;
  }
}
