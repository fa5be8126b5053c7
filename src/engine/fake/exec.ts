import { pack } from 'tar-stream';
import type { ExecOps, ExecRequest, ExecResult } from '../engine.js';
import { EngineError } from '../errors.js';
import type { FakeState } from './model.js';

/** Commands in containers and their files, in the fake. */
export class FakeExec implements ExecOps {
  constructor(private readonly s: FakeState) {}

  exec(id: string, req: ExecRequest): Promise<ExecResult> {
    return this.s.call('exec', this.s.nameOf(id), () => {
      const c = this.s.find(id);
      if (c.status !== 'running')
        throw new EngineError('not-running', `container ${c.id} is not running`);
      return this.s.healthProbe(c, req) ?? this.s.execHandler(c, req);
    });
  }

  /** A tar stream shaped like Docker's: entries named from the path's last component. */
  readArchive(id: string, path: string): Promise<NodeJS.ReadableStream> {
    return this.s.call('readArchive', this.s.nameOf(id), () => {
      const c = this.s.find(id);
      const root = path.replace(/\/+$/, '') || '/';
      const files = [...(this.s.fileMap.get(c.id) ?? new Map())].filter(
        ([p]) => p === root || p.startsWith(root === '/' ? '/' : `${root}/`),
      );
      if (!files.length)
        throw new EngineError('not-found', `Could not find the file ${path} in container ${c.id}`);
      const base = root === '/' ? '' : root.slice(root.lastIndexOf('/') + 1);
      const tar = pack();
      const dirs = new Set<string>();
      for (const [p, f] of files.sort(([a], [b]) => a.localeCompare(b))) {
        const name = p === root ? base : `${base}${p.slice(root.length)}`.replace(/^\//, '');
        const parts = name.split('/');
        for (let i = 1; i < parts.length; i++) {
          const dir = parts.slice(0, i).join('/');
          if (!dirs.has(dir)) tar.entry({ name: `${dir}/`, type: 'directory', mode: 0o755 });
          dirs.add(dir);
        }
        tar.entry({ name, mode: f.mode, size: f.content.length }, f.content);
      }
      tar.finalize();
      return tar;
    });
  }
}
