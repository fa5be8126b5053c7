import { describe, expect, it } from 'vitest';
import { shlexSplit } from '../../../src/compose/shlex.js';

describe('shlexSplit', () => {
  it.each([
    ['bundle exec thin -p 3000', ['bundle', 'exec', 'thin', '-p', '3000']],
    ['  spaced\t\tout  ', ['spaced', 'out']],
    [`sh -c 'echo "hello $HOSTNAME"'`, ['sh', '-c', 'echo "hello $HOSTNAME"']],
    [`echo "a \\"quoted\\" word" \\$HOME`, ['echo', 'a "quoted" word', '$HOME']],
    [`printf "%s\\n" x`, ['printf', '%s\\n', 'x']],
    [`a""b ''`, ['ab', '']],
    [`--flag="two words"`, ['--flag=two words']],
    [`one\\ word`, ['one word']],
    ['', []],
  ])('splits %j', (text, words) => {
    expect(shlexSplit(text)).toEqual(words);
  });

  it('rejects unterminated quotes and a trailing backslash', () => {
    expect(() => shlexSplit(`echo 'open`)).toThrow(/unterminated single quote/);
    expect(() => shlexSplit(`echo "open`)).toThrow(/unterminated double quote/);
    expect(() => shlexSplit(`echo \\`)).toThrow(/trailing backslash/);
  });
});
