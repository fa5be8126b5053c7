import { errorMessage, isUserError, type Problem, UserError } from '../common/errors.js';
import type { NodeSpec } from '../model/suite.js';
import { DockerEngine } from './docker.js';
import type { Engine, EngineInfo } from './engine.js';
import { publishedHost } from './in-container.js';
import { isLoopback } from '../common/host-address.js';
import { timeoutSignal } from '../common/timeout.js';

const CONNECT_MS = 15_000;

export type EngineFactory = (node: NodeSpec) => Engine;

export const dockerEngineFor: EngineFactory = (node) =>
  new DockerEngine({
    node: node.name,
    url: node.docker,
    tls: node.tls,
    identity: node.identity,
    passphraseEnv: node.passphraseEnv,
    knownHosts: node.knownHosts,
    hostKey: node.hostKey,
    acceptNewHostKey: node.strictHostKeyChecking === 'accept-new',
  });

/** The engine a node names: its `docker:`, else DOCKER_HOST, else the local socket. */
export function engineUrl(node: Pick<NodeSpec, 'docker'>): string {
  return node.docker ?? process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/**
 * Opens the node's engine and proves it answers; an engine that does not is the user's to fix
 * (exit 2), and so is an ssh host key that is not trusted or a TLS certificate that does not
 * verify. `notes` are what the user must hear of even when it answers: a plain tcp:// engine
 * off this machine, an unknown host key accepted.
 */
export async function connect(
  node: NodeSpec,
  factory: EngineFactory = dockerEngineFor,
): Promise<{ engine: Engine; info: EngineInfo; notes: string[]; address?: string }> {
  const engine = factory(node);
  try {
    const info = await engine.info(timeoutSignal(CONNECT_MS));
    const notes = [...plainTcpWarning(node), ...(info.notices ?? [])];
    // Only a local socket's published ports are at 127.0.0.1; a tcp:// or ssh:// engine's are at its host.
    const local = !node.address && /^(unix|npipe):/.test(engineUrl(node));
    const host = local
      ? await publishedHost(engine, node.name, timeoutSignal(CONNECT_MS))
      : undefined;
    return {
      engine,
      info,
      notes: host ? [...notes, host.note] : notes,
      ...(host && { address: host.address }),
    };
  } catch (e) {
    await engine.close();
    if (isUserError(e)) throw e;
    throw new UserError(tlsProblem(node, e) ?? notAnswering(node, e));
  }
}

function notAnswering(node: NodeSpec, e: unknown): Problem {
  return {
    message: `the Docker engine of node "${node.name}" (${engineUrl(node)}) does not answer: ${errorMessage(e)}`,
    hint: node.docker
      ? 'Check that the engine runs and that this machine can reach it (address, port, TLS files, ssh key).'
      : "Start Docker (or Podman's socket), or point DOCKER_HOST at a running engine; scripts/ensure-docker.sh installs one on Debian/Ubuntu.",
  };
}

/** Node's codes for a server certificate that no CA given to it vouches for. */
const UNTRUSTED_SERVER = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/** The alerts an engine with `--tlsverify` answers a missing or untrusted client certificate with. */
const CLIENT_REFUSED = new Set([
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
]);

/** A TLS failure in the user's words, naming which side's certificate is at fault. */
function tlsProblem(node: NodeSpec, e: unknown): Problem | undefined {
  const code = (e as { code?: string }).code ?? '';
  const url = engineUrl(node);
  const at = `the Docker engine of node "${node.name}" (${url})`;
  const ca = node.tls ? `tls.ca (${node.tls.ca})` : 'DOCKER_CERT_PATH/ca.pem';
  if (UNTRUSTED_SERVER.has(code))
    return {
      message: `${at} was not trusted: its TLS server certificate is not signed by the CA in ${ca} (${errorMessage(e)})`,
      hint: "Point the node's `tls.ca` at the CA that signed the engine's certificate (the engine's --tlscacert names the CA of its clients, usually the same one).",
    };
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return {
      message: `${at} was not trusted: its TLS server certificate is not made out for that address (${errorMessage(e)})`,
      hint: 'Reach the engine by a name or IP its certificate lists (subjectAltName), or give it a certificate for this one.',
    };
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return {
      message: `${at} was not trusted: its TLS server certificate is out of date (${errorMessage(e)})`,
      hint: 'Renew the engine certificate (and check both clocks).',
    };
  if (CLIENT_REFUSED.has(code)) {
    const cert = node.tls?.cert ?? (node.tls ? undefined : 'DOCKER_CERT_PATH/cert.pem');
    return cert
      ? {
          message: `${at} refused this client: it runs with --tlsverify and does not accept the client certificate ${node.tls ? `in tls.cert (${cert})` : cert} (not signed by a CA it trusts, or out of date)`,
          hint: "Give the node a client certificate signed by the CA the engine's --tlscacert names.",
        }
      : {
          message: `${at} refused this client: it runs with --tlsverify and asks for a client certificate, and the node's tls names none`,
          hint: "Add the client certificate and its key to the node's `tls:` (cert: and key:), made by the CA the engine's --tlscacert names.",
        };
  }
  if (/Client sent an HTTP request to an HTTPS server/.test(errorMessage(e)))
    return {
      message: `${at} speaks TLS, and the node gives no TLS files: ${errorMessage(e)}`,
      hint: 'Give the node `tls: { ca, cert, key }` (or set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH).',
    };
  return undefined;
}

/**
 * Plain tcp:// (no TLS) carries the engine API, which is root on that machine, unencrypted and
 * unauthenticated: fine on this machine's loopback, a risk anywhere else. No address is
 * exempt by rule (a private network is not a trusted one), the test bed's included.
 */
export function plainTcpWarning(node: NodeSpec): string[] {
  const url = engineUrl(node);
  if (!/^(tcp|http):\/\//.test(url) || node.tls) return [];
  if (process.env.DOCKER_TLS_VERIFY === '1' && process.env.DOCKER_CERT_PATH) return [];
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  if (isLoopback(host)) return [];
  return [
    `node "${node.name}": its engine ${url} is plain tcp without TLS: anyone on the network between here and there can read this run's traffic (secrets included) and drive that engine, which is root on its machine. Use ssh:// or tcp:// with tls: (dockerd --tlsverify).`,
  ];
}
