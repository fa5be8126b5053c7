import * as core from '@actions/core';

/**
 * A cancelled job's SIGINT or SIGTERM aborts the run, which then tears down what it created
 * and reports; a second signal must not cut that teardown short, so it is only logged.
 * Returns the function that removes the handlers.
 */
export function abortOnSignals(controller: AbortController): () => void {
  let signals = 0;
  const onSignal = (name: 'SIGINT' | 'SIGTERM') => {
    signals++;
    if (signals === 1) {
      core.info(`\n${name}: stopping and removing what this run created…`);
      controller.abort(name);
    } else {
      core.info(`${name} again: teardown goes on; the post step removes whatever is left.`);
    }
  };
  const handlers = { SIGINT: () => onSignal('SIGINT'), SIGTERM: () => onSignal('SIGTERM') };
  process.on('SIGINT', handlers.SIGINT).on('SIGTERM', handlers.SIGTERM);
  return () => process.off('SIGINT', handlers.SIGINT).off('SIGTERM', handlers.SIGTERM);
}
