/**
 * Plain-text tables with a header row, as `docker ps` and `gh pr list` print them: columns padded
 * to their widest cell, two spaces apart, the last column unpadded. Colour (src/cli/colour.ts) is
 * applied after padding, so escape codes never skew the alignment.
 */
import type { Paint, Style } from './colour.ts';

export type Column<R> = { header: string; cell: (row: R) => string; style?: (row: R) => Style | undefined };

export function renderTable<R>(rows: readonly R[], columns: readonly Column<R>[], paint?: Paint): string[] {
  const cells = rows.map((r) => columns.map((c) => c.cell(r)));
  const widths = columns.map((c, i) => Math.max(Bun.stringWidth(c.header), ...cells.map((row) => Bun.stringWidth(row[i]!))));
  const pad = (text: string, i: number) => (i === columns.length - 1 ? text : text + ' '.repeat(widths[i]! - Bun.stringWidth(text)));
  const line = (parts: string[]) => parts.join('  ').trimEnd();
  const header = line(columns.map((c, i) => (paint ? paint.bold(pad(c.header, i)) : pad(c.header, i))));
  const body = cells.map((row, r) =>
    line(
      row.map((text, i) => {
        const style = columns[i]!.style?.(rows[r]!);
        const padded = pad(text, i);
        return style && paint ? paint[style](padded) : padded;
      }),
    ),
  );
  return [header, ...body];
}
