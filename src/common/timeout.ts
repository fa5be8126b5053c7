/**
 * Time limits as abort signals. AbortSignal.timeout() is not used in stackcheck: Node keeps a
 * timeout signal alive only while something listens on it directly, and AbortSignal.any()
 * follows its sources weakly, so a limit like `AbortSignal.any([run, AbortSignal.timeout(ms)])`
 * can be garbage-collected before it fires and then never aborts (nodejs/node#57736, open in
 * Node 20 and 22). A run on Podman waited past its `wait.timeout` until it was killed. Here
 * the timer holds its controller, so the limit fires whatever else is collected.
 */

/** Aborts after `ms` with a TimeoutError, as AbortSignal.timeout() does. */
export function timeoutSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  // Unref'd: a pending limit does not keep the process alive, as with AbortSignal.timeout().
  setTimeout(
    () =>
      controller.abort(
        new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
      ),
    ms,
  ).unref();
  return controller.signal;
}

/** Aborts when `parent` does, or after `ms` with a TimeoutError, whichever comes first. */
export function withTimeout(parent: AbortSignal, ms: number): AbortSignal {
  return AbortSignal.any([parent, timeoutSignal(ms)]);
}
