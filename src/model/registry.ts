/**
 * The kinds of one family (check kinds, scenario steps), each found by its name, in the order
 * they were given (the JSON Schema lists them so). Both halves of a family use one: the schema
 * half for the manifest, the run half (which adds `attempt` or `run`) for the run; each run
 * half's list is checked against its schema half's names at compile time (a `satisfies`).
 */
export class Registry<T> {
  private readonly byName: ReadonlyMap<string, T>;
  readonly names: readonly string[];

  constructor(
    /** What one entry is called in an error: `check kind`, `step`. */
    private readonly what: string,
    readonly entries: readonly T[],
    nameOf: (entry: T) => string,
  ) {
    this.names = entries.map(nameOf);
    this.byName = new Map(entries.map((e, i) => [this.names[i]!, e]));
  }

  /** The entry of that name; the loader has refused any other, so another is a bug. */
  of(name: string): T {
    const entry = this.byName.get(name);
    if (!entry) throw new Error(`unknown ${this.what} "${name}"`);
    return entry;
  }
}
