import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { UserError, type SourcePos } from './errors.js';

/**
 * Reads a file the user wrote (a manifest, a compose file, an env file) as UTF-8 text, without
 * a leading BOM. Bytes that are not UTF-8 are a UserError at their line and column: read
 * leniently they would turn into U+FFFD and surface later as a value nobody wrote.
 * File-system errors (ENOENT, EISDIR, …) are thrown as they are, for the caller to word:
 * only it knows where the file was named. `unreadable` says them in words.
 */
export function readTextFile(path: string, name: string): string {
  const bytes = readFileSync(path);
  if (!isUtf8(bytes)) {
    const at = firstBadByte(bytes);
    throw new UserError({
      message: `not UTF-8 text: byte 0x${bytes[at]!.toString(16).toUpperCase().padStart(2, '0')} cannot be read`,
      pos: positionOf(bytes, at, name),
      hint: 'Save the file as UTF-8 (editors offer it under "encoding"), or remove the character.',
    });
  }
  // The default decoder drops a leading BOM, as editors do when they show line 1.
  return new TextDecoder().decode(bytes);
}

/** A file-system error in words: "file not found", "a folder, not a file", "cannot read (EACCES)". */
export function unreadable(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EISDIR') return 'a folder, not a file';
  return `cannot read (${code ?? String(e)})`;
}

/**
 * Offset of the first byte that makes the file invalid. A streaming decoder accepts a prefix
 * that ends inside a character, so "the prefix fails" grows monotonically with its length
 * and a binary search finds the first failing one.
 */
function firstBadByte(bytes: Buffer): number {
  const fails = (n: number): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(0, n), {
        stream: true,
      });
      return false;
    } catch {
      return true;
    }
  };
  let [lo, hi] = [0, bytes.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (fails(mid + 1)) hi = mid;
    else lo = mid + 1;
  }
  // The byte that failed may end a sequence its lead byte started (0xE9 then a newline):
  // the character that cannot be read starts at that lead byte.
  let start = Math.min(lo, bytes.length - 1);
  if (!isUtf8(bytes.subarray(0, start))) {
    while (start > 0 && (bytes[start - 1]! & 0xc0) === 0x80) start--;
    start = Math.max(0, start - 1);
  }
  return start;
}

/** 1-based line and column (in characters, as editors count) of a byte offset. */
function positionOf(bytes: Buffer, offset: number, file: string): SourcePos {
  // The bytes before the first bad one are UTF-8; a leading BOM is dropped, as for the text.
  const before = new TextDecoder().decode(bytes.subarray(0, offset));
  return positions(before, file)(before.length);
}

export type At = (offset: number) => SourcePos;

/**
 * Offsets to 1-based lines and columns, counting line breaks as editors do (\n, \r\n, \r).
 * The parser's own LineCounter is not used: it misses the line breaks inside the tokens it
 * skips after an error, and would point past the end of a line.
 */
export function positions(text: string, file: string): At {
  const starts = [0];
  /** Where each line's content ends: its line break, or the end of the text. */
  const ends: number[] = [];
  for (const m of text.matchAll(/\r\n?|\n/g)) {
    ends.push(m.index);
    starts.push(m.index + m[0].length);
  }
  ends.push(text.length);
  return (offset) => {
    const o = Math.max(0, Math.min(offset, text.length));
    let [lo, hi] = [0, starts.length - 1];
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    // An offset inside a \r\n is the end of its line.
    return { file, line: lo + 1, column: Math.min(o, ends[lo]!) - starts[lo]! + 1 };
  };
}
