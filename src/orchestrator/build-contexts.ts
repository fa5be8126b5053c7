import type { ServicePlan, TopologyPlan } from './plan.js';

/*
 * compose's `additional_contexts: { name: service:X }`: the image of service X of the same
 * project, built (or pulled) first. The build then names it as `docker-image://<X's image>`,
 * which the engine's build resolves like any other image (engine/docker/build.ts).
 */

const SERVICE = /^service:(.+)$/;

/** The plans of the services whose images `sp`'s build uses as named contexts. */
export function contextServices(sp: ServicePlan, tp: TopologyPlan): ServicePlan[] {
  return Object.values(sp.image.build?.additionalContexts ?? {}).flatMap((v) => {
    const name = SERVICE.exec(v)?.[1];
    if (name === undefined) return [];
    const plan = tp.services.find((s) => s.spec.name === name);
    if (!plan)
      throw new Error(
        `service "${sp.spec.name}" builds with the image of service "${name}", which does not run in topology ${tp.spec.name}`,
      );
    return [plan];
  });
}

/** `sp` with each `service:X` context replaced by X's image reference. */
export function withServiceContexts(sp: ServicePlan, tp: TopologyPlan): ServicePlan {
  const build = sp.image.build;
  if (!build?.additionalContexts) return sp;
  const contexts = Object.fromEntries(
    Object.entries(build.additionalContexts).map(([k, v]) => {
      const name = SERVICE.exec(v)?.[1];
      const plan = name === undefined ? undefined : tp.services.find((s) => s.spec.name === name);
      return [k, plan ? `docker-image://${plan.image.ref}` : v];
    }),
  );
  return { ...sp, image: { ...sp.image, build: { ...build, additionalContexts: contexts } } };
}
