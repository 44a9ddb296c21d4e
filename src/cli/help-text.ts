/**
 * Help text that wraps evenly. Command and flag descriptions are written hard-wrapped in the
 * sources (around 100 columns); oclif wraps each of those lines again to the terminal, so a
 * paragraph came out as lines of 78 columns broken by lines of a few words. The manifest
 * (command-manifest.ts) keeps each paragraph as one line instead, for oclif to wrap to the width.
 */

/** A line that starts its own line whatever the width: indented, a list item, a command. */
const KEEPS_ITS_LINE = /^(\s|[-*•] |\d+[.)] |\$ )/;

/** `text` with the lines of each paragraph joined; blank lines, indented lines and list items kept. */
export function reflowParagraphs(text: string): string {
  return text
    .split(/(\n[ \t]*\n)/)
    .map((part, i) => {
      if (i % 2 === 1) return part; // a paragraph break, as written
      const lines = part.split('\n');
      const out: string[] = [];
      for (const line of lines) {
        const last = out.length - 1;
        if (last >= 0 && !KEEPS_ITS_LINE.test(line) && !KEEPS_ITS_LINE.test(out[last]!)) out[last] = `${out[last]!.trimEnd()} ${line.trim()}`;
        else out.push(line);
      }
      return out.join('\n');
    })
    .join('');
}
