/** The image probe sidecars run; it needs sh, wget and nc. Carried from the runner, or pulled, where a node lacks it. */
export const DEFAULT_PROBE_IMAGE = 'busybox:1.36';
