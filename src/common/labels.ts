/** Every label stackcheck puts on what it creates, in one place. */
export const LABEL = {
  run: 'io.stackcheck.run',
  suite: 'io.stackcheck.suite',
  topology: 'io.stackcheck.topology',
  service: 'io.stackcheck.service',
  node: 'io.stackcheck.node',
  replica: 'io.stackcheck.replica',
  /** `host:pid:start` of the process that owns the run, to tell a live run from a dead one. */
  owner: 'io.stackcheck.owner',
  /** Epoch ms after which the run counts as abandoned even if its owner cannot be checked. */
  deadline: 'io.stackcheck.deadline',
  /** Built images: kept as a cache between runs, found by this label. */
  image: 'io.stackcheck.image',
  /** Helper containers stackcheck runs for itself: `probe`, `fault`; records: `restore`. */
  role: 'io.stackcheck.role',
  /** On a run's restore record: ids of attached containers to leave running (orchestrator/restore.ts). */
  restore: 'io.stackcheck.restore',
  /** On a container started without its GPU device requests (`gpu: optional`): why. */
  withoutGpu: 'io.stackcheck.without-gpu',
} as const;
