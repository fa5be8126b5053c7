import type { Problem, SourcePos } from '../common/errors.js';
import type { Env } from '../common/interpolate.js';
import type { MergeTag, YamlPath, YamlSource } from '../common/yaml-source.js';

/** Where one compose mapping lives: the parsed file and the path of the mapping inside it. */
export interface SourceRef {
  yaml: YamlSource;
  base: YamlPath;
}

/**
 * A value of an (interpolated) compose file together with the path it came from, so every
 * normaliser can point at what the user wrote without threading positions by hand.
 */
export class Node {
  constructor(
    readonly src: SourceRef,
    readonly path: YamlPath,
    readonly value: unknown,
  ) {}

  get pos(): SourcePos {
    return this.src.yaml.posOf([...this.src.base, ...this.path]);
  }

  get keyPos(): SourcePos {
    return this.src.yaml.keyPosOf([...this.src.base, ...this.path]);
  }

  /** The path as the user reads it in messages: `services.web.ports[0]`. */
  get label(): string {
    return this.path.reduce<string>(
      (s, seg) => (typeof seg === 'number' ? `${s}[${seg}]` : s ? `${s}.${seg}` : seg),
      '',
    );
  }

  /** The last path segment: the key this value stands under. */
  get key(): string {
    return String(this.path[this.path.length - 1] ?? '');
  }

  /** compose's `!reset` / `!override` written on this value (compose files only). */
  get tag(): MergeTag | undefined {
    return this.src.yaml.tagOf([...this.src.base, ...this.path]);
  }

  /** A mapping without its `!reset` entries: they stand for "no value" in this file. */
  withoutResets(): Node {
    if (!this.isMap()) return this;
    const kept = Object.entries(this.value).filter(([k]) => this.child(k).tag !== '!reset');
    return kept.length === Object.keys(this.value).length
      ? this
      : this.withValue(Object.fromEntries(kept));
  }

  get isNull(): boolean {
    return this.value === null || this.value === undefined;
  }

  isMap(): this is Node & { value: Record<string, unknown> } {
    return typeof this.value === 'object' && this.value !== null && !Array.isArray(this.value);
  }

  isList(): this is Node & { value: unknown[] } {
    return Array.isArray(this.value);
  }

  child(key: string | number): Node {
    const v = this.value as Record<string | number, unknown> | null | undefined;
    return new Node(this.src, [...this.path, key], v?.[key]);
  }

  /** Entries of a mapping, in file order; empty for anything else. */
  entries(): Node[] {
    return this.isMap() ? Object.keys(this.value).map((k) => this.child(k)) : [];
  }

  items(): Node[] {
    return this.isList() ? this.value.map((_, i) => this.child(i)) : [];
  }

  /** The same position holding another value: a part of a string the user wrote. */
  withValue(value: unknown): Node {
    return new Node(this.src, this.path, value);
  }

  has(key: string): boolean {
    return this.isMap() && Object.hasOwn(this.value, key);
  }
}

/** Collects every problem of a load so the user sees them all at once. */
export class Problems {
  readonly list: Problem[] = [];

  add(pos: SourcePos, message: string, hint: string): void {
    this.list.push({ message, pos, hint });
  }
}

/** What every normaliser needs besides the node it reads. */
export interface LoadContext {
  problems: Problems;
  warnings: { message: string; pos: SourcePos }[];
  /** Variables for bare `KEY` environment entries and build args. */
  env: Env;
  /** Absolute directory relative paths resolve against (compose: the first file's folder). */
  projectDir: string;
  /** The files whose `include` led here, outermost first (to refuse a file including itself). */
  includeChain?: readonly string[];
}
