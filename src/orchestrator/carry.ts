import { errorMessage } from '../common/errors.js';
import type { Engine } from '../engine/engine.js';

/**
 * Copies images from the runner's own engine to a node that lacks them (`docker save` there,
 * `docker load` on the node, both through the Engine API): how an air-gapped GPU box, or any
 * node no registry serves, gets the images the runner built or already has. Each image goes
 * to each node once per run, however many services or probes ask for it at the same time.
 */
export class ImageCarrier {
  private readonly loads = new Map<string, Promise<boolean>>();

  constructor(
    /** The runner's engine (the one DOCKER_HOST or the local socket names), opened on first use. */
    private readonly runner: () => Engine,
    /** Whether a node is served by that same engine (nothing to carry there). */
    readonly isRunner: (node: string) => boolean,
  ) {}

  /** Loads `ref` from the runner onto `to`; false where the runner has no such image (or is `to`). */
  carry(ref: string, to: Engine, signal?: AbortSignal): Promise<boolean> {
    if (this.isRunner(to.node)) return Promise.resolve(false);
    const key = `${to.node}\0${ref}`;
    let p = this.loads.get(key);
    if (!p) {
      p = (async () => {
        const runner = this.runner();
        if (!(await runner.imageExists(ref, signal))) return false;
        await to.loadImage(await runner.saveImage(ref, signal), signal);
        if (!(await to.imageExists(ref, signal)))
          throw new Error(`node "${to.node}" loaded the image but has no ${ref} afterwards`);
        return true;
      })();
      this.loads.set(key, p);
      p.catch(() => this.loads.delete(key));
    }
    return p;
  }
}

/** A helper image (probe sidecar, fault tools) could not be had on a node. */
export class HelperImageMissing extends Error {}

/**
 * Makes sure a helper image stackcheck runs for itself is on a node: there already, carried
 * from the runner (no registry needed, and the same image the runner uses), else pulled.
 */
export async function provideHelperImage(
  engine: Engine,
  ref: string,
  carrier: ImageCarrier | undefined,
  signal?: AbortSignal,
): Promise<'present' | 'carried' | 'pulled'> {
  if (await engine.imageExists(ref, signal)) return 'present';
  let carryError: string | undefined;
  try {
    if (carrier && (await carrier.carry(ref, engine, signal))) return 'carried';
  } catch (e) {
    if (signal?.aborted) throw e;
    carryError = errorMessage(e);
  }
  try {
    await engine.pullImage(ref, signal);
  } catch (e) {
    if (signal?.aborted) throw e;
    const where = carryError
      ? `, carrying it from the runner failed (${carryError}),`
      : carrier && !carrier.isRunner(engine.node)
        ? ' nor on the runner,'
        : '';
    throw new HelperImageMissing(
      `image ${ref} is not on node "${engine.node}"${where} and pulling it failed (${errorMessage(e)})`,
    );
  }
  return 'pulled';
}
