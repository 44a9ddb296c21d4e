/**
 * Commands peers prints for the user to paste: each word as a POSIX shell reads it back. A path
 * with a space (`~/my projects/ring buf`, `/Users/Jane Doe`) or a quote is one argument again when
 * pasted, not two.
 */

/** `arg` as it is when made only of characters no shell treats specially, else single-quoted. */
export function shellWord(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./{}-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The command line of `words`, each quoted as the shell needs. */
export function shellCommand(...words: string[]): string {
  return words.map(shellWord).join(' ');
}
