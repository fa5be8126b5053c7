import { EngineError, classifyFailure, engineMessage, isUnavailable } from '../errors.js';

/**
 * Where the adapter seals the engine: every failure dockerode hands back becomes an
 * EngineError with a reason (an HTTP answer by its status and the daemon's words, a socket
 * that does not answer as 'unavailable'). Aborts, UserErrors and EngineErrors pass as they are.
 */
export function toEngineError(e: unknown, node: string): unknown {
  if (e instanceof EngineError || !(e instanceof Error)) return e;
  const statusCode = (e as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === 'number') {
    const message = engineMessage(e);
    const { reason, port } = classifyFailure(statusCode, message);
    return new EngineError(reason, message, { statusCode, port, cause: e, node });
  }
  if (isUnavailable(e))
    return new EngineError('unavailable', e.message, { statusCode: 0, cause: e, node });
  return e;
}

/** Runs one engine call, sealing its failure. */
export async function sealed<T>(node: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toEngineError(e, node);
  }
}

/**
 * Runs `fn` ignoring answers that mean the thing is already as asked: gone, already stopped
 * or paused or unpaused, not running (a kill or stop of a stopped container).
 */
export async function idempotent(node: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await sealed(node, fn);
  } catch (e) {
    if (e instanceof EngineError && ['not-found', 'already', 'not-running'].includes(e.reason))
      return;
    throw e;
  }
}

/** Whether a lookup (an inspect) finds the thing: its answer 'not found' is false, not a failure. */
export async function found(node: string, inspect: () => Promise<unknown>): Promise<boolean> {
  try {
    await sealed(node, inspect);
    return true;
  } catch (e) {
    if (e instanceof EngineError && e.reason === 'not-found') return false;
    throw e;
  }
}
