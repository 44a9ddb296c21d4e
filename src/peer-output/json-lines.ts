/**
 * The JSON objects in a CLI's line-oriented output (claude stream-json, codex --json, opencode
 * --format json). Lines that are not a JSON object (banners, progress, partial lines) are skipped:
 * status and usage are read only from events the CLI itself emitted.
 */
export function jsonObjectLines(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of text.split('\n')) {
    const v = jsonObjectOf(line);
    if (v) out.push(v);
  }
  return out;
}

/** One line as the JSON object a CLI emitted, or undefined for any other line (text, an array, a cut event). */
export function jsonObjectOf(line: string): Record<string, unknown> | undefined {
  const t = line.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(t);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
