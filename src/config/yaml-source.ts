/**
 * Every YAML file a user or a peer can write (`.peers/config.yaml`, `goals.yaml`, model-server
 * scenarios) is parsed here, in time linear in its size and memory bounded by its limits:
 * - the size limit is the reader's (a bounded read), checked before anything is parsed;
 * - the nesting depth is checked token by token while the syntax tree is built, so a file of a
 *   million `[` stops at the limit instead of building a million-deep tree;
 * - duplicate keys are found with one hash set per mapping (the yaml library's own check compares
 *   each key with every earlier one: a 50,000-key mapping took 21 s);
 * - aliases that expand too far ("billion laughs") are refused.
 * The Document is kept, with a line counter and a key index, so a validation issue's path maps
 * back to the node written: `file:line:column: message`.
 */
import { Composer, isMap, isScalar, isSeq, Lexer, LineCounter, Parser, visit, type CST, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { accessingFile, type FileKind } from '../fs/file-errors.ts';
import { InputError, InputErrors, type ErrorLocation } from '../cli/errors.ts';
import { readFileCapped } from '../fs/safe-read.ts';

/** Far deeper than any real control file (config and goals are 4 levels deep, scenarios 6). */
export const MAX_YAML_DEPTH = 64;
/** More problems than this are noise; the user fixes the first ones and re-runs. */
export const MAX_PROBLEMS = 20;

export type YamlLimits = { maxBytes: number; maxDepth?: number };

export type YamlSource = { file: string; text: string; doc: Document; counter: LineCounter; data: unknown };

/** Reads a YAML file of `kind` with the size limit; every failure is a PeersError naming the file. */
export function readYamlText(path: string, maxBytes: number, kind: FileKind): string {
  const bytes = accessingFile(path, kind, () => readFileCapped(path, maxBytes));
  try {
    return UTF8.decode(bytes);
  } catch {
    // A file saved in another encoding (Latin-1, Windows-1252) would be read with U+FFFD in place
    // of each such byte: a gate's command or a goal's prompt changed without a word.
    const bad = badByte(bytes);
    throw new InputError(`not UTF-8 text (byte 0x${bad.byte.toString(16)}): save the file as UTF-8`, { location: { file: path, ...bad.at } });
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

const isUtf8 = (bytes: Uint8Array): boolean => {
  try {
    UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/** The first byte that is not UTF-8, with its line and column (a newline byte is never inside a UTF-8 sequence). */
function badByte(bytes: Buffer): { byte: number; at: { line: number; column: number } } {
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl < 0 ? bytes.length : nl;
    if (!isUtf8(bytes.subarray(start, end))) {
      // Character by character (each 1 to 4 bytes) up to the first that does not decode.
      let at = start;
      let column = 1;
      const charAt = (i: number) => [1, 2, 3, 4].find((n) => isUtf8(bytes.subarray(i, i + n)));
      for (let k = charAt(at); k && at < end; k = charAt(at)) {
        at += k;
        column += k === 4 ? 2 : 1; // columns count UTF-16 units, as the YAML parser's do
      }
      return { byte: bytes[at]!, at: { line, column } };
    }
    start = end + 1;
  }
  return { byte: 0, at: { line: 1, column: 1 } };
}

export function locationAt(counter: LineCounter, file: string, offset: number | undefined): ErrorLocation {
  if (offset === undefined) return { file, line: 1, column: 1 };
  const { line, col } = counter.linePos(offset);
  return { file, line, column: col };
}

class TooDeep extends Error {
  constructor(readonly offset: number) {
    super('too deep');
  }
}

/** Collections open on the parser's stack: below them the document, above them a scalar being read. */
function openCollections(stack: readonly CST.Token[]): number {
  return stack.filter((t) => t.type !== 'document' && t.type !== 'scalar').length;
}

/** The CST of `text`, refusing to open more than `maxDepth` nested collections. */
function* limitedTokens(text: string, counter: LineCounter, maxDepth: number): Generator<CST.Token> {
  const parser = new Parser(counter.addNewLine);
  counter.addNewLine(0);
  for (const lexeme of new Lexer().lex(text)) {
    const at = parser.offset;
    yield* parser.next(lexeme);
    // Cheap bound first; the exact count only near the limit (at most maxDepth + 2 entries).
    if (parser.stack.length > maxDepth + 1 && openCollections(parser.stack) > maxDepth) throw new TooDeep(at);
  }
  yield* parser.end();
}

function keyOf(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

function duplicateKeys(doc: Document, counter: LineCounter, file: string): InputError[] {
  const problems: InputError[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = keyOf(pair);
        // Like the yaml library: collection keys are compared by identity, scalars by value.
        if (!seen.has(key)) {
          seen.add(key);
          continue;
        }
        if (problems.length < MAX_PROBLEMS) {
          problems.push(new InputError(`YAML syntax error: Map keys must be unique (duplicate key '${String(key)}')`, { location: locationAt(counter, file, (pair.key as Node | null)?.range?.[0]) }));
        }
      }
    },
  });
  return problems;
}

/**
 * `<<: *base` means "merge base here" in YAML 1.1 only; peers reads YAML 1.2, where `<<` is an
 * ordinary key, so a goal written that way was refused as "missing required key type" (or `<<`
 * unknown), never naming the merge. A plain (unquoted) `<<` key is named as what it is.
 */
function mergeKeys(doc: Document, counter: LineCounter, file: string): InputError[] {
  const problems: InputError[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (problems.length >= MAX_PROBLEMS || !isScalar(pair.key) || pair.key.value !== '<<' || pair.key.type !== 'PLAIN') return;
      problems.push(new InputError('YAML merge keys (<<) are not supported in peers files', { location: locationAt(counter, file, pair.key.range?.[0]), hint: 'write the keys out in each mapping: peers reads YAML 1.2, where << is an ordinary key' }));
    },
  });
  return problems;
}

function throwAll(problems: InputError[]): never {
  throw problems.length === 1 ? problems[0]! : new InputErrors(problems);
}

/**
 * Parses one YAML document within `limits`; syntax, depth, duplicate-key and alias problems are
 * InputErrors. `emptyValue` stands for a file with no content at all (empty or only comments).
 */
export function parseYaml(text: string, file: string, limits: YamlLimits, emptyValue: unknown): YamlSource {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes) throw new InputError(`file is larger than ${limits.maxBytes} bytes, the most peers reads`, { location: { file } });
  const maxDepth = limits.maxDepth ?? MAX_YAML_DEPTH;
  const counter = new LineCounter();
  const composer = new Composer({ prettyErrors: false, uniqueKeys: false });
  const docs: Document[] = [];
  try {
    for (const doc of composer.compose(limitedTokens(text, counter, maxDepth), true, text.length)) docs.push(doc);
  } catch (error) {
    if (!(error instanceof TooDeep)) throw error;
    throw new InputError(`YAML nested deeper than ${maxDepth} levels (the limit)`, {
      location: locationAt(counter, file, error.offset),
      hint: 'a peers file needs a few levels of nesting; this one is not a hand-written control file',
    });
  }
  const doc = docs[0]!;
  const errors = doc.errors.map((e) => ({ message: e.message, offset: e.pos[0] }));
  if (docs.length > 1) errors.push({ message: 'Source contains multiple documents; a peers file is one document', offset: docs[1]!.range?.[0] ?? 0 });
  if (errors.length > 0) {
    throwAll(errors.slice(0, MAX_PROBLEMS).map((e) => new InputError(`YAML syntax error: ${e.message.split('\n')[0]}`, { location: locationAt(counter, file, e.offset) })));
  }
  const duplicates = duplicateKeys(doc, counter, file);
  if (duplicates.length > 0) throwAll(duplicates);
  const merges = mergeKeys(doc, counter, file);
  if (merges.length > 0) throwAll(merges);
  let data: unknown = emptyValue;
  try {
    if (doc.contents !== null) data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // The yaml library refuses alias bombs ("billion laughs") while expanding: bad input, not a crash.
    throw new InputError(`YAML aliases expand too far: ${(error as Error).message}`, { location: { file, line: 1, column: 1 }, hint: 'write the values out instead of nesting aliases (*name) of aliases' });
  }
  return { file, text, doc, counter, data };
}

/** Pairs of a mapping by key, built once per mapping: locating N issues costs N lookups, not N scans. */
const keyIndexes = new WeakMap<YAMLMap, Map<unknown, Pair>>();

export function pairFor(map: YAMLMap, key: unknown): Pair | undefined {
  let index = keyIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items as Pair[]) if (!index.has(keyOf(pair))) index.set(keyOf(pair), pair);
    keyIndexes.set(map, index);
  }
  return index.get(key);
}

export type Located = { node?: Node; keyNode?: Node; parent?: Node };

/** Follows an issue path through maps and sequences as far as the document goes. */
export function locate(doc: Document, path: readonly PropertyKey[]): Located {
  let node: Node | undefined = (doc.contents ?? undefined) as Node | undefined;
  let parent: Node | undefined;
  let keyNode: Node | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = pairFor(node, seg);
      if (!pair) return { parent: node };
      parent = node;
      keyNode = pair.key as Node;
      node = (pair.value ?? undefined) as Node | undefined;
      if (!node) return { parent, keyNode };
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) return { parent: node };
      parent = node;
      keyNode = undefined;
      node = item;
    } else {
      return { parent: node };
    }
  }
  return { node, keyNode, parent };
}

/** The deepest node an issue path reaches (the parent mapping when a key is missing). */
export function deepestNode(doc: Document, path: readonly PropertyKey[]): Node | undefined {
  const { node, keyNode, parent } = locate(doc, path);
  return node ?? keyNode ?? parent;
}
