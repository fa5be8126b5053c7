import { dirname } from 'node:path';
import { isUserError } from '../common/errors.js';
import { didYouMean } from '../common/suggest.js';
import { readComposeFile } from './compose-file.js';
import { interpolateKeys } from './interpolate-source.js';
import type { ExtendsRef, ServiceLayer } from './layer.js';
import { mergeServices } from './merge.js';
import { Node, type LoadContext } from './node.js';
import { normalizeService } from './normalize-service.js';
import { displayName, resolveHostPath } from './paths.js';

/*
 * compose's `extends`: the extended service is the base and the extending service is merged
 * on top of it with the same rules as a later compose file. Everything is inherited, depends_on
 * and links included (as compose-go does); what the base refers to (other services, networks,
 * volumes, secrets) is not imported and must exist in the project. A base from another file
 * is read from that file only: it is interpolated there, its relative paths (and those of
 * its own `extends.file`) resolve from that file's folder, and what it contributes keeps
 * positions in that file.
 */

/** Services that `extends` can name: those of one compose source, or of an `extends.file`. */
interface ServiceTable {
  /** Tells tables apart in the cache and in cycles: "source 0", or the file's absolute path. */
  id: string;
  /** The file, as messages name it. */
  file: string;
  /** The context its services are normalised in (its folder for relative paths). */
  ctx: LoadContext;
  names(): string[];
  get(name: string): Node | undefined;
}

function table(id: string, services: Node, ctx: LoadContext, interpolate: boolean): ServiceTable {
  return {
    id,
    file: services.src.yaml.file,
    ctx,
    names: () => (services.isMap() ? Object.keys(services.value) : []),
    get: (name) =>
      !services.has(name)
        ? undefined
        : interpolate
          ? interpolateKeys(services, [name], ctx).child(name)
          : services.child(name),
  };
}

/** Normalises services with their `extends` applied; one per loadCompose, so each service is read once. */
export class ExtendsResolver {
  private readonly done = new Map<string, ServiceLayer>();
  private readonly files = new Map<string, ServiceTable | undefined>();
  private sources = 0;

  /** The services of one source: `services` is its (interpolated) services mapping. */
  services(services: Node, ctx: LoadContext): ServiceLayer[] {
    const t = table(`source ${this.sources++}`, services, ctx, false);
    return t.names().map((name) => this.resolve(t, name, []));
  }

  private resolve(t: ServiceTable, name: string, chain: string[]): ServiceLayer {
    const id = `${t.id}#${name}`;
    const cached = this.done.get(id);
    if (cached) return cached;
    const { extends: ref, ...own } = normalizeService(t.get(name)!, t.ctx);
    const base = ref && this.base(t, ref, [...chain, id]);
    const service = base ? { ...mergeServices(base, own), name: own.name, pos: own.pos } : own;
    this.done.set(id, service);
    return service;
  }

  private base(t: ServiceTable, ref: ExtendsRef, chain: string[]): ServiceLayer | undefined {
    const from = ref.file === undefined ? t : this.file(ref, t.ctx);
    if (!from) return undefined;
    if (!from.names().includes(ref.service)) {
      t.ctx.problems.add(
        ref.servicePos,
        `${ref.label}: service "${ref.service}" is not defined in ${from.file}`,
        didYouMean(ref.service, from.names()) ||
          `Name a service of ${from.file}, or add file: with the file that defines it.`,
      );
      return undefined;
    }
    const id = `${from.id}#${ref.service}`;
    if (chain.includes(id)) {
      const cycle = [...chain.slice(chain.indexOf(id)), id].map((c) =>
        c.slice(c.lastIndexOf('#') + 1),
      );
      t.ctx.problems.add(
        ref.servicePos,
        `extends cycle: ${cycle.join(' → ')}`,
        'A service cannot extend itself, even through other services: remove one of these extends.',
      );
      return undefined;
    }
    return this.resolve(from, ref.service, chain);
  }

  /** The services of `extends.file`, read once; problems with the file are reported at `file:`. */
  private file(ref: ExtendsRef, ctx: LoadContext): ServiceTable | undefined {
    const abs = resolveHostPath(ref.file!, ctx.projectDir);
    if (this.files.has(abs)) return this.files.get(abs);
    let t: ServiceTable | undefined;
    try {
      const { yaml } = readComposeFile(abs, displayName(abs));
      const data = yaml.data as Record<string, unknown>;
      const services = new Node({ yaml, base: [] }, ['services'], data.services);
      if (services.isMap()) {
        t = table(abs, services, { ...ctx, projectDir: dirname(abs) }, true);
      } else {
        ctx.problems.add(
          ref.filePos!,
          `${ref.label}.file: ${yaml.file} has no services mapping`,
          'Name a compose file that defines services.',
        );
      }
    } catch (e) {
      if (!isUserError(e)) throw e;
      for (const p of e.problems) {
        if (p.pos) ctx.problems.list.push(p);
        else ctx.problems.add(ref.filePos!, `${ref.label}.file: ${p.message}`, p.hint ?? '');
      }
    }
    this.files.set(abs, t);
    return t;
  }
}
