import { errorMessage } from '../common/errors.js';

/**
 * Why an engine refused or failed a call, in stackcheck's terms: callers decide on this, never
 * on the daemon's wording (which changes between Docker releases and differs on Podman).
 */
export type EngineErrorReason =
  /** The container, image, network, volume or path does not exist. */
  | 'not-found'
  /** A name already taken, a volume in use, a network with endpoints: the state forbids it. */
  | 'conflict'
  /** The thing is already as asked (stopped, paused, unpaused, a stop in progress). */
  | 'already'
  /** The container must be running for this (exec, pause, a signal). */
  | 'not-running'
  /** A published host port is held by something else. */
  | 'port-in-use'
  /** A device request (a GPU) the engine has no driver or device for. */
  | 'no-device'
  /** A registry's definitive no: the image or tag does not exist, or access is refused. */
  | 'denied'
  /** A failure that waiting may cure: the network to a registry, a busy daemon (5xx). */
  | 'transient'
  /** The engine did not answer at all: its socket is gone, the connection was refused or cut. */
  | 'unavailable'
  /** The engine does not do this: an API version it refuses, a feature it lacks. */
  | 'unsupported'
  /** The request itself is malformed for this engine (HTTP 400). */
  | 'invalid'
  /** Anything else the engine answered with an error (a build step failed, an OCI error). */
  | 'failed';

/** The HTTP status the Docker daemon answers each reason with, for errors made without one. */
const STATUS: Record<EngineErrorReason, number> = {
  'not-found': 404,
  conflict: 409,
  already: 304,
  'not-running': 409,
  'port-in-use': 500,
  'no-device': 500,
  denied: 500,
  transient: 503,
  unavailable: 0,
  unsupported: 400,
  invalid: 400,
  failed: 500,
};

/**
 * Every engine failure, from either engine (dockerode's adapter turns each into one; the fake
 * throws them): a typed `reason` to decide on, and the daemon's own message for display.
 */
export class EngineError extends Error {
  readonly reason: EngineErrorReason;
  readonly statusCode: number;
  /** The daemon's message, as it gave it (kept for the user; never matched outside engine/). */
  readonly json: { message: string };
  /** For 'port-in-use': the host port, where the engine named it. */
  readonly port?: number;
  /** The node whose engine answered (or did not). */
  readonly node?: string;

  constructor(
    reason: EngineErrorReason | number,
    message: string,
    opts: { statusCode?: number; port?: number; cause?: unknown; node?: string } = {},
  ) {
    const classified =
      typeof reason === 'number' ? classifyFailure(reason, message) : { reason, port: opts.port };
    const statusCode =
      opts.statusCode ?? (typeof reason === 'number' ? reason : STATUS[classified.reason]);
    super(`(HTTP code ${statusCode}) ${message}`, opts.cause ? { cause: opts.cause } : undefined);
    this.name = 'EngineError';
    this.reason = classified.reason;
    this.statusCode = statusCode;
    this.json = { message };
    const port = opts.port ?? classified.port;
    if (port !== undefined) this.port = port;
    if (opts.node !== undefined) this.node = opts.node;
  }
}

/** Whether `e` is an EngineError for one of `reasons`. */
export function isEngineError(e: unknown, ...reasons: EngineErrorReason[]): e is EngineError {
  return e instanceof EngineError && (reasons.length === 0 || reasons.includes(e.reason));
}

/** The daemon's own message, without dockerode's "(HTTP code 409) conflict - " prefix. */
export function engineMessage(e: unknown): string {
  const json = (e as { json?: { message?: string } }).json;
  return json?.message ?? errorMessage(e).replace(/^\(HTTP code \d+\)\s*[\w ]*-\s*/, '');
}

// ---- the daemon's words, read here and nowhere else -------------------------------------

/**
 * A host port already taken, as each engine words it:
 * Docker ≤ 27 `Bind for 0.0.0.0:P failed: port is already allocated` (another container) or
 * `listen tcp4 0.0.0.0:P: bind: address already in use` (its userland proxy);
 * Docker 28+ `failed to bind host port for 0.0.0.0:P:172.17.0.2:80/tcp: address already in use`
 * (it binds in the daemon); Podman `cannot listen on the TCP port: listen tcp4 :P: bind: …`.
 */
const PORT_TAKEN = [
  /Bind for \S*?:(\d+) failed: port is already allocated/,
  /failed to bind host port for \S*?:(\d+):\S*: address already in use/,
  /listen \w+ \S*?:(\d+): bind: address already in use/,
  /(?:address already in use|port is already allocated)/,
];

/**
 * The container is not running: Docker's 409 (capitalised before 26, lower-case after), and
 * Podman's 500 `… container state improper` (`can only create exec sessions on running containers`).
 */
const NOT_RUNNING =
  /is not running|is already stopped|container state improper|only .* on running containers/i;
/** Answers meaning "already as asked". */
const ALREADY = /already in progress|is already paused|is not paused/i;
/** No driver or device for a device request (Docker without the NVIDIA toolkit, no GPU). */
const NO_DEVICE =
  /could not select device driver|nvidia-container-cli: (?:initialization|device) error/;
/**
 * A name already taken, said with a 500 by Podman (`network name N already used: network
 * already exists`, `the container name "N" is already in use by …`), with a 409 by Docker.
 */
const NAME_TAKEN = /is already in use|already exists|already used/i;
/**
 * A container others still join the namespaces of (`network_mode: container:`, a probe
 * sidecar): Podman refuses to remove it with a 500 (`container … has dependent containers which
 * must be removed before it: …`); Docker removes it.
 */
const HAS_DEPENDENTS = /has dependent containers/i;
/** A client API version the daemon refuses. */
const UNSUPPORTED_API = /client version \S+ is too (?:old|new)|minimum supported API version/i;

/**
 * A pull the registry answered definitively: the image or tag does not exist, or access is
 * refused. Waiting does not change that answer.
 */
const PERMANENT_PULL =
  /manifest unknown|manifest for \S+ not found|repository does not exist|pull access denied|invalid reference format|no matching manifest for|unauthorized|authentication required|denied: requested access/i;

/**
 * A network failure on the way to a registry (connection reset, timeout, DNS, rate limit, a
 * registry briefly unavailable): from pulling an image or a build's base images.
 */
const TRANSIENT_NETWORK =
  /ECONNRESET|connection reset|ETIMEDOUT|i\/o timeout|TLS handshake timeout|Client\.Timeout|timeout exceeded|unexpected EOF|ECONNREFUSED|connection refused|EAI_AGAIN|temporary failure in name resolution|no such host|server misbehaving|network is unreachable|socket hang up|toomanyrequests|too many requests|50[234] (Bad Gateway|Service Unavailable|Gateway Time-?out)/i;

/** The reason an HTTP status and a daemon message amount to. */
export function classifyFailure(
  statusCode: number,
  message: string,
): { reason: EngineErrorReason; port?: number } {
  for (const re of PORT_TAKEN) {
    const m = re.exec(message);
    if (m) return { reason: 'port-in-use', ...(m[1] && { port: Number(m[1]) }) };
  }
  if (statusCode === 304 || ALREADY.test(message)) return { reason: 'already' };
  if (statusCode === 404) return { reason: 'not-found' };
  if (NOT_RUNNING.test(message) && (statusCode === 409 || statusCode === 500))
    return { reason: 'not-running' };
  if (
    statusCode === 409 ||
    statusCode === 403 ||
    NAME_TAKEN.test(message) ||
    HAS_DEPENDENTS.test(message)
  )
    return { reason: 'conflict' };
  if (NO_DEVICE.test(message)) return { reason: 'no-device' };
  if (UNSUPPORTED_API.test(message)) return { reason: 'unsupported' };
  if (statusCode === 400) return { reason: 'invalid' };
  if (statusCode === 502 || statusCode === 503 || statusCode === 504)
    return { reason: 'transient' };
  return { reason: 'failed' };
}

/**
 * The reason for a failure reported inside a pull or build stream (the daemon answers 200 and
 * reports the registry's or the build's failure in the JSON lines).
 */
export function classifyStreamFailure(kind: 'pull' | 'build', message: string): EngineErrorReason {
  if (kind === 'pull' && PERMANENT_PULL.test(message)) return 'denied';
  if (TRANSIENT_NETWORK.test(message)) return 'transient';
  return kind === 'pull' ? 'transient' : 'failed';
}

/** Whether a failed pull is worth another attempt: anything but the registry's definitive "no". */
export function pullRetryable(message: string): boolean {
  return classifyStreamFailure('pull', message) !== 'denied';
}

/** A build is retried only for network failures: a failing step fails the same way every time. */
export function buildRetryable(message: string): boolean {
  return classifyStreamFailure('build', message) === 'transient';
}

/** Socket-level codes that mean the engine did not answer (gone, restarting, unreachable). */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNABORTED',
  'ERR_SOCKET_CLOSED',
]);

/** Whether a transport error (no HTTP answer) means the engine is not answering. */
export function isUnavailable(e: unknown): boolean {
  const err = e as { code?: string; message?: string; statusCode?: number };
  if (err?.statusCode) return false;
  return (
    (err?.code !== undefined && UNAVAILABLE_CODES.has(err.code)) ||
    /socket hang up|connect ENOENT|ECONNREFUSED/.test(err?.message ?? '')
  );
}
