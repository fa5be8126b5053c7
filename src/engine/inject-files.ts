import { pack } from 'tar-stream';
import type { InjectedFile } from '../compose/model.js';

/*
 * Secrets and configs from `content:`/`environment:` go into a container the way compose's
 * injectSecrets/injectConfigs put them there: one tar archive extracted at / (PUT
 * /containers/{id}/archive) between create and start, each file with the grant's mode and,
 * when the grant names them, uid and gid (the engine keeps the archive's owners only when
 * asked to: copyUIDGID). Missing parent folders are made by the engine.
 */

/** The archive of a service's injected files, and whether the engine must keep their owners. */
export async function injectedArchive(
  files: readonly InjectedFile[],
): Promise<{ tar: Buffer; keepOwners: boolean }> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => tar.on('end', resolve).on('error', reject));
  for (const f of files)
    tar.entry(
      {
        name: f.target.replace(/^\/+/, ''),
        mode: f.mode,
        uid: f.uid ?? 0,
        gid: f.gid ?? 0,
        mtime: new Date(),
      },
      f.content ?? '',
    );
  tar.finalize();
  await done;
  return {
    tar: Buffer.concat(chunks),
    keepOwners: files.some((f) => f.uid !== undefined || f.gid !== undefined),
  };
}
