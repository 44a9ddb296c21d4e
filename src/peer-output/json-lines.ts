/**
 * The JSON objects in a CLI's line-oriented output (claude stream-json, codex --json, opencode
 * --format json). Lines that are not a JSON object (banners, progress, partial lines) are skipped:
 * status and usage are read only from events the CLI itself emitted.
 */
export function jsonObjectLines(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const v = JSON.parse(t);
      if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
    } catch {}
  }
  return out;
}
