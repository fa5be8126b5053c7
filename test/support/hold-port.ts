import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { inEngineNetns, type TestEngine } from './engines.js';

/**
 * A process that listens on `port` on every address, as a user's own server would, where the
 * engine binds its published ports (its network namespace). Resolves once it listens; the
 * function it returns ends it.
 */
export async function holdPort(port: number, engine: TestEngine): Promise<() => void> {
  const script = `import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', ${port})); s.listen(); print('listening', flush=True); sys.stdin.read()`;
  const argv = inEngineNetns(engine, ['python3', '-c', script]);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  if (!line.toString().includes('listening')) throw new Error(`could not hold port ${port}`);
  return () => {
    child.stdin.end();
    child.kill();
  };
}
