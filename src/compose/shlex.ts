/**
 * Splits a command line into words the way a POSIX shell (and Python's `shlex.split`) does,
 * without expanding anything: compose turns `command: npm run start -- --port 80` into an
 * argument list this way. Single quotes are literal; inside double quotes a backslash only
 * escapes `"`, `\`, `$`, `` ` `` and a newline; outside quotes it escapes any character.
 * Throws on an unterminated quote or a trailing backslash.
 */
export function shlexSplit(text: string): string[] {
  const words: string[] = [];
  let word = '';
  // A word exists once anything was written, so `""` yields an empty argument.
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated single quote in: ${text}`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error(`unterminated double quote in: ${text}`);
        const c = text[i]!;
        if (c === '"') break;
        if (c === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1]!)) {
          if (text[i + 1] !== '\n') word += text[i + 1];
          i += 2;
        } else {
          word += c;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (ch === '\\') {
      if (i + 1 >= text.length) throw new Error(`trailing backslash in: ${text}`);
      if (text[i + 1] !== '\n') word += text[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
