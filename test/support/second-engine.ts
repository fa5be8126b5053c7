import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../../src/common/errors.js';

/**
 * The test bed's second machine (scripts/second-engine.sh): a dockerd in its own network
 * namespace, reached over tcp:// and ssh://, a dockerd there that speaks only TLS, and Podman's
 * socket in the same namespace. Tests that need it skip with `reason` where it is absent;
 * `npm test` starts it (scripts/test.sh).
 */
export type SecondEngine = Absent | Present;

export interface Absent {
  ok: false;
  reason: string;
}

export interface Present {
  ok: true;
  /** The namespace's address: where its engines publish ports, and where tcp:// and ssh:// listen. */
  address: string;
  /**
   * This host's address as the namespace sees it: how the second machine reaches the runner's.
   * Where the tests run in the namespace of one of scripts/engines.sh's engines, that
   * namespace's address (STACKCHECK_NODE2_PEER, set by scripts/test.sh): the runner's engine
   * publishes its ports there.
   */
  peer: string;
  tcp: string;
  /** The same dockerd's unix socket, for setup that should not go through the transport under test. */
  unix: string;
  /**
   * `hostKey`: the sshd's public host key file (`ssh-ed25519 AAAA… comment`); `locked`: a second
   * key it accepts, which has a passphrase.
   */
  ssh:
    | {
        ok: true;
        url: string;
        identity: string;
        hostKey: string;
        locked: { identity: string; passphrase: string };
      }
    | Absent;
  /**
   * A dockerd at the same address that speaks only TLS and requires a client certificate;
   * `dir` holds ca.pem, cert.pem and key.pem, `unix` is its socket for setup.
   */
  tls: { ok: true; url: string; dir: string; unix: string } | Absent;
  podman: { ok: true; url: string } | Absent;
}

const SCRIPT = fileURLToPath(new URL('../../scripts/second-engine.sh', import.meta.url));

let cached: SecondEngine | undefined;

/** Asks the script what runs now (it checks that each engine answers); once per test file. */
export function secondEngine(): SecondEngine {
  if (!cached) {
    try {
      cached = fromEnv(scriptEnv());
    } catch (e) {
      cached = { ok: false, reason: `scripts/second-engine.sh env failed: ${errorMessage(e)}` };
    }
  }
  return cached;
}

/** The script's `NAME=value` lines (values the shell would read quoted, unquoted). */
function scriptEnv(): Record<string, string> {
  const out = execFileSync('bash', [SCRIPT, 'env'], { encoding: 'utf8', timeout: 20_000 });
  return Object.fromEntries(
    out
      .split('\n')
      .map((line) => /^STACKCHECK_NODE2_(\w+)=(.*)$/.exec(line))
      .filter((m) => m !== null)
      .map((m) => [m[1]!, m[2]!.replace(/^'(.*)'$/, '$1')]),
  );
}

function fromEnv(v: Record<string, string>): SecondEngine {
  if (v.ABSENT || !v.TCP || !v.ADDRESS || !v.PEER || !v.UNIX)
    return { ok: false, reason: v.ABSENT ?? 'scripts/second-engine.sh env printed no engine' };
  return {
    ok: true,
    address: v.ADDRESS,
    peer: process.env.STACKCHECK_NODE2_PEER || v.PEER,
    tcp: v.TCP,
    unix: v.UNIX,
    ssh:
      v.SSH && v.SSH_KEY && v.SSH_HOST_KEY && v.SSH_KEY_LOCKED && v.SSH_KEY_PASSPHRASE
        ? {
            ok: true,
            url: v.SSH,
            identity: v.SSH_KEY,
            hostKey: v.SSH_HOST_KEY,
            locked: { identity: v.SSH_KEY_LOCKED, passphrase: v.SSH_KEY_PASSPHRASE },
          }
        : { ok: false, reason: v.SSH_ABSENT ?? 'no ssh:// transport' },
    tls:
      v.TLS && v.TLS_DIR && v.TLS_UNIX
        ? { ok: true, url: v.TLS, dir: v.TLS_DIR, unix: v.TLS_UNIX }
        : { ok: false, reason: v.TLS_ABSENT ?? 'no tcp+TLS engine' },
    podman: v.PODMAN
      ? { ok: true, url: v.PODMAN }
      : { ok: false, reason: v.PODMAN_ABSENT ?? 'no Podman socket' },
  };
}

/** The variables the two-machine examples read: PC2 is the bed's engine over tcp, the Main PC this one. */
export function twoMachinesEnv(bed: Present): Record<string, string> {
  return { MAIN_ADDRESS: bed.peer, PC2_DOCKER: bed.tcp, PC2_ADDRESS: bed.address };
}
