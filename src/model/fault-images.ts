/** A public image with sh, iptables (nf_tables and legacy) and tc (iproute2). */
export const DEFAULT_FAULT_IMAGE = 'nicolaka/netshoot:v0.13';
/** A public image with node, for the user-space delay proxy. */
export const DEFAULT_FAULT_PROXY_IMAGE = 'node:20-alpine';

/**
 * Which images the network fault helpers run: the environment wins over the manifest (as for
 * the probe image). An image named for the tools serves the proxy too unless one is named for
 * it, so a single image with sh, iptables, tc and node is all a runner without a registry needs.
 */
export function faultImages(
  faults: { image?: string; proxyImage?: string } | undefined,
  env: Record<string, string | undefined>,
): { tools: string; proxy: string } {
  const tools = env.STACKCHECK_FAULT_IMAGE || faults?.image;
  const proxy = env.STACKCHECK_FAULT_PROXY_IMAGE || faults?.proxyImage || tools;
  return { tools: tools ?? DEFAULT_FAULT_IMAGE, proxy: proxy ?? DEFAULT_FAULT_PROXY_IMAGE };
}
