/**
 * "Did you mean …?" for a mistyped command or flag, as git and gh answer it: one line, exit 2.
 * Pure functions over the command manifest (ids use ':'; users type them with spaces).
 */
import { didYouMean } from './did-you-mean.ts';
import { unexpectedArgumentsMessage, unknownFlagMessage } from './parse-error-message.ts';

/** The flags `peers` takes with no command (src/main.ts answers --version; oclif the rest). */
const ROOT_FLAGS = new Set(['--help', '-h', '--version', '-v', '--']);

/** `withoutArgs`: the commands that take no positional argument (oclif reads a word after one as part of a command name). */
export type CommandIndex = { ids: readonly string[]; topics: readonly string[]; hiddenIds?: readonly string[]; withoutArgs?: readonly string[] };

/**
 * The message for argv whose command words name no command, or undefined when they do (or when
 * argv names no command at all: flags only, `help`, an empty line). Topic words are followed, so
 * `modes lsit` is judged against the commands of the `modes` topic. Words after a command that takes
 * no argument (`ls extra`) are unexpected arguments of it, not a command oclif failed to find.
 */
export function unknownCommandMessage(argv: readonly string[], index: CommandIndex): string | undefined {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  // A flag before any command: only help and version are flags of peers itself.
  const first = argv[0];
  if (!words.length && first !== undefined && !ROOT_FLAGS.has(first)) return unknownFlagMessage(first, '', []);
  if (!words.length) return undefined;
  // `help WORDS` names a command too.
  if (words[0] === 'help' && words.length > 1) return unknownCommandMessage(words.slice(1), { ...index, withoutArgs: [] });
  const ids = new Set(index.ids);
  // A topic whose commands are all hidden (`k8s`) is not among oclif's topics, but its commands run.
  const topics = new Set([...index.topics, ...index.ids.flatMap((id) => id.split(':').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join(':')))]);
  for (let k = 1; k <= words.length; k++) {
    const id = words.slice(0, k).join(':');
    if (ids.has(id)) {
      const extra = words.slice(k);
      if (!extra.length || !index.withoutArgs?.includes(id)) return undefined;
      return unexpectedArgumentsMessage(extra, { bin: 'peers', command: words.slice(0, k).join(' ') });
    }
    if (topics.has(id)) continue;
    const typed = words.slice(0, k).join(' ');
    const hidden = new Set(index.hiddenIds ?? []);
    const inTopic = k > 1 ? `${words.slice(0, k - 1).join(':')}:` : '';
    const candidates = [...index.ids.filter((c) => !hidden.has(c) && c.startsWith(inTopic)), ...(k === 1 ? index.topics : [])].map((c) => c.replaceAll(':', ' '));
    const guess = didYouMean(typed, candidates);
    return guess ? `unknown command '${typed}'. Did you mean '${guess}'?` : `unknown command '${typed}' (peers --help lists the commands)`;
  }
  // Only topic words (`peers modes`): oclif shows the topic's help.
  return undefined;
}
