/**
 * What shell completion knows, taken from the command manifest (the same data `--help` is printed
 * from, embedded in the binary by build.ts), so the scripts cannot drift from the commands.
 */
export type CompletionFlag = { name: string; char: string | null; takesValue: boolean; options: readonly string[]; summary: string };
export type CompletionCommand = { id: string; summary: string; flags: CompletionFlag[] };
export type CompletionModel = { bin: string; topics: { name: string; summary: string }[]; commands: CompletionCommand[]; globalFlags: CompletionFlag[] };

/** The manifest's view of a command, as oclif's Config lists it. */
export type ManifestCommand = {
  id: string;
  hidden?: boolean;
  summary?: string;
  description?: string;
  flags?: Record<string, { name: string; char?: string; type: string; options?: readonly string[]; hidden?: boolean; summary?: string; description?: string }>;
};

const firstSentence = (text: string | undefined) => (text ?? '').split('\n')[0]!.trim();

export const GLOBAL_FLAGS: CompletionFlag[] = [
  { name: 'help', char: 'h', takesValue: false, options: [], summary: 'Show help.' },
  { name: 'no-color', char: null, takesValue: false, options: [], summary: 'No colour, as NO_COLOR=1.' },
];

export function completionModel(bin: string, commands: readonly ManifestCommand[], topics: readonly { name: string; description?: string; hidden?: boolean }[]): CompletionModel {
  const visible = commands.filter((c) => !c.hidden && c.id !== 'help').sort((a, b) => a.id.localeCompare(b.id));
  return {
    bin,
    // oclif lists every command as a topic too: a topic here is a word with commands under it.
    topics: topics.filter((t) => !t.hidden && visible.some((c) => c.id.startsWith(`${t.name}:`))).map((t) => ({ name: t.name, summary: firstSentence(t.description) })).sort((a, b) => a.name.localeCompare(b.name)),
    commands: visible.map((c) => ({
      id: c.id,
      summary: firstSentence(c.summary ?? c.description),
      flags: Object.values(c.flags ?? {})
        .filter((f) => !f.hidden)
        .map((f) => ({ name: f.name, char: f.char ?? null, takesValue: f.type === 'option', options: f.options ?? [], summary: firstSentence(f.summary ?? f.description) }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    })),
    globalFlags: GLOBAL_FLAGS,
  };
}

/** The words that may follow `peers` directly: top-level commands and topics. */
export function topLevelWords(m: CompletionModel): { word: string; summary: string }[] {
  const words = new Map<string, string>();
  for (const t of m.topics) words.set(t.name, t.summary);
  for (const c of m.commands) if (!c.id.includes(':')) words.set(c.id, c.summary);
  return [...words].map(([word, summary]) => ({ word, summary })).sort((a, b) => a.word.localeCompare(b.word));
}

/** The commands of a topic, as the word after it. */
export function topicWords(m: CompletionModel, topic: string): { word: string; summary: string }[] {
  return m.commands.filter((c) => c.id.startsWith(`${topic}:`)).map((c) => ({ word: c.id.slice(topic.length + 1), summary: c.summary }));
}
