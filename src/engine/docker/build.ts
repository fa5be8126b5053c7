import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pack } from 'tar-stream';
import type { BuildSpec } from '../../compose/model.js';
import { EngineError } from '../errors.js';

/*
 * What the Engine API's build endpoint (POST /build) is sent for a compose `build:`: the
 * context as a tar (or, for a git/http(s) context, only its URL: the engine fetches it,
 * `remote`), and the query. Two compose keys have no field in that endpoint and are realised
 * in the Dockerfile the engine is given, so they work with the classic builder on every engine:
 *
 * - `dockerfile_inline`: the text travels in the tar as `.stackcheck.Dockerfile`, the way the
 *   docker CLI sends a Dockerfile from outside the context.
 * - `additional_contexts` (BuildKit's named contexts, which compose passes through buildx): each
 *   becomes a stage of that name placed before the first FROM, which `FROM name` and
 *   `COPY --from=name` then resolve to, as they would resolve to the named context:
 *   `docker-image://REF` is `FROM REF AS name`; a folder is `FROM scratch AS name` plus a COPY
 *   of it (from its place in the context, or added to the tar under `.stackcheck/contexts/`
 *   when it lies outside the context).
 *
 * Build secrets and ssh agents go through BuildKit's session (./build-session.ts). `service:NAME`
 * contexts are refused with why.
 */

const DOCKERFILE = '.stackcheck.Dockerfile';
const OUTSIDE = '.stackcheck/contexts';

export interface BuildInput {
  /** The context tar; undefined for a remote context. */
  tar?: NodeJS.ReadableStream;
  remote?: string;
  dockerfile: string;
}

function unsupported(b: BuildSpec): string | undefined {
  const service = Object.entries(b.additionalContexts ?? {}).find(([, v]) =>
    v.startsWith('service:'),
  );
  if (service)
    return `additional context "${service[0]}" (${service[1]}) names a service's image, which only the orchestrator can resolve (this build did not come from a topology)`;
  if (
    b.remote &&
    (b.dockerfileInline !== undefined || Object.keys(b.additionalContexts ?? {}).length)
  )
    return 'a remote (git/http) context is fetched by the engine: it cannot be combined with dockerfile_inline or additional_contexts';
  const remote = Object.entries(b.additionalContexts ?? {}).find(
    ([, v]) => /^[a-z][a-z0-9+.-]*:\/\//i.test(v) && !v.startsWith('docker-image://'),
  );
  if (remote)
    return `additional context "${remote[0]}" is a URL (${remote[1]}); only folders and docker-image:// references are supported`;
  return undefined;
}

/** The Dockerfile with a stage per named context, before its first FROM (after directives and global ARGs). */
export function withNamedContexts(
  dockerfile: string,
  contexts: Record<string, string>,
  contextDir: string,
): { text: string; outside: { name: string; dir: string }[] } {
  const outside: { name: string; dir: string }[] = [];
  const stages = Object.entries(contexts).map(([name, value]) => {
    if (value.startsWith('docker-image://'))
      return `FROM ${value.slice('docker-image://'.length)} AS ${name}`;
    const rel = relative(contextDir, value);
    const inside = rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
    const from = inside ? rel.split(sep).join('/') : `${OUTSIDE}/${name}`;
    if (!inside) outside.push({ name, dir: value });
    return `FROM scratch AS ${name}\nCOPY ${from}/ /`;
  });
  const lines = dockerfile.split('\n');
  const first = lines.findIndex((l) => /^\s*FROM\s/i.test(l));
  const at = first === -1 ? lines.length : first;
  return {
    text: [...lines.slice(0, at), ...stages, ...lines.slice(at)].join('\n'),
    outside,
  };
}

/** Streams a folder (and extra entries) as a tar, file by file, never the whole context in memory. */
function packContext(
  dir: string,
  under: { prefix: string; dir: string }[],
  extra: { name: string; content: string }[],
): NodeJS.ReadableStream {
  const tar = pack();
  const addFile = (path: string, name: string, mode: number, size: number) =>
    new Promise<void>((resolve, reject) => {
      const entry = tar.entry({ name, mode, size }, (err) => (err ? reject(err) : resolve()));
      createReadStream(path).on('error', reject).pipe(entry);
    });
  const walk = async (root: string, prefix: string): Promise<void> => {
    for (const e of readdirSync(root, { withFileTypes: true })) {
      const path = join(root, e.name);
      const name = prefix ? `${prefix}/${e.name}` : e.name;
      const st = lstatSync(path);
      if (e.isDirectory()) {
        tar.entry({ name: `${name}/`, type: 'directory', mode: st.mode & 0o7777 });
        await walk(path, name);
      } else if (e.isSymbolicLink())
        tar.entry({ name, type: 'symlink', linkname: readlinkSync(path), mode: st.mode & 0o7777 });
      else if (e.isFile()) await addFile(path, name, st.mode & 0o7777, st.size);
    }
  };
  void (async () => {
    await walk(dir, '');
    for (const u of under) await walk(u.dir, u.prefix);
    for (const x of extra) tar.entry({ name: x.name, mode: 0o644 }, x.content);
    tar.finalize();
  })().catch((e: unknown) => tar.destroy(e as Error));
  return tar;
}

/** The context and Dockerfile to send for `b`; a build the engine cannot do is an EngineError. */
export function buildInput(b: BuildSpec, node: string): BuildInput {
  const why = unsupported(b);
  if (why) throw new EngineError('unsupported', why, { node });
  if (b.remote) return { remote: b.context, dockerfile: b.dockerfile };
  const contexts = b.additionalContexts ?? {};
  if (b.dockerfileInline === undefined && Object.keys(contexts).length === 0)
    return { tar: packContext(b.context, [], []), dockerfile: b.dockerfile };
  const original = b.dockerfileInline ?? readFileSync(join(b.context, b.dockerfile), 'utf8');
  const { text, outside } = withNamedContexts(original, contexts, b.context);
  return {
    tar: packContext(
      b.context,
      outside.map((o) => ({ prefix: `${OUTSIDE}/${o.name}`, dir: o.dir })),
      [{ name: DOCKERFILE, content: text }],
    ),
    dockerfile: DOCKERFILE,
  };
}

/** `name:tag` split as `docker tag` reads it: a registry port is no tag. */
export function splitRef(ref: string): { repo: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/')
    ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) }
    : { repo: ref, tag: 'latest' };
}

/** The values of a build's secrets by the id the Dockerfile asks for: file content or text. */
export function buildSecretValues(b: BuildSpec, node: string): Map<string, Buffer> {
  return new Map(
    (b.secrets ?? []).map((s) => {
      if (s.file !== undefined) return [s.id, readFileSync(s.file)];
      if (s.text !== undefined) return [s.id, Buffer.from(s.text, 'utf8')];
      throw new EngineError(
        'invalid',
        `build secret "${s.source}" has no value: the variable its environment: names is not set`,
        { node },
      );
    }),
  );
}

/**
 * The ssh agent sockets of `build.ssh` by id: `default` (or `id` alone) is the runner's agent
 * ($SSH_AUTH_SOCK); `id=path` names a socket. A private key file would need an agent of
 * stackcheck's own: refused with why.
 */
export function buildSshAgents(
  b: BuildSpec,
  node: string,
  env: NodeJS.ProcessEnv = process.env,
): Map<string, string> {
  return new Map(
    (b.ssh ?? []).map((entry): [string, string] => {
      const eq = entry.indexOf('=');
      const id = eq === -1 ? entry : entry.slice(0, eq);
      const socket = eq === -1 ? env.SSH_AUTH_SOCK : entry.slice(eq + 1);
      if (!socket)
        throw new EngineError(
          'invalid',
          `build.ssh "${entry}": no ssh agent (SSH_AUTH_SOCK is not set)`,
          {
            node,
          },
        );
      let isSocket = false;
      try {
        isSocket = lstatSync(socket).isSocket();
      } catch {
        // not there: refused below
      }
      if (!isSocket)
        throw new EngineError(
          'unsupported',
          `build.ssh "${entry}": ${socket} is not an ssh agent socket; stackcheck forwards agents only (start ssh-agent and ssh-add the key)`,
          { node },
        );
      return [id, socket];
    }),
  );
}
