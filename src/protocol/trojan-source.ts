/**
 * Code that runs differently from how it reads ("Trojan source"). The reviewer judges the text its
 * prompt shows; the compiler runs what the bytes decode to. calc.py declaring itself UTF-7 with
 * `if a == 2 and b == 3: return 5` written as UTF-7 base64 in a comment (`+AAo-` is a line break)
 * showed the reviewer a comment of letters, passed its tests with the bug in place, and the run
 * ended `complete` (SECURITY.md, "Done means done", "Code that reads as something else is held").
 * An added line of a code file (tests included) holding one of these is a `trojan-source` marker
 * (test-markers.ts), held like a skip marker until a peer other than its author approves the
 * commit that added it (escape-valves.ts). Plain text in strings and comments (accented letters,
 * emoji, other scripts) is not flagged; documents are not read.
 */
import { isDocumentPath } from './turn-diff.ts';

/**
 * The image and PDF formats a document may be, by extension, with how each file starts as the
 * marker scan reads it (git's diff decoded as UTF-8: a byte that is not UTF-8 reads as U+FFFD).
 */
const BINARY_DOCUMENTS: ReadonlyArray<{ ext: RegExp; name: string; start: RegExp }> = [
  { ext: /\.png$/i, name: 'PNG image', start: /^\ufffdPNG\r?$/ },
  { ext: /\.gif$/i, name: 'GIF image', start: /^GIF8[79]a/ },
  { ext: /\.jpe?g$/i, name: 'JPEG image', start: /^\ufffd{2}/ },
  { ext: /\.webp$/i, name: 'WebP image', start: /^RIFF/ },
  { ext: /\.ico$/i, name: 'icon', start: /^\0\0[\x01\x02]\0/ },
  { ext: /\.pdf$/i, name: 'PDF document', start: /^%PDF-/ },
];
/**
 * What no text document holds: NUL and the other control characters but tab, line feed, form feed
 * and carriage return, and ESC but as a terminal colour sequence opens (`ESC[`: a captured
 * console log in docs/ is text).
 */
const BINARY_IN_TEXT = /[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f\x80-\x9f]|\x1b(?!\[)/;

/**
 * Why an added line of a file the marker scan reads for nothing else (test-markers.ts: C, shell, a
 * Makefile, data, documents) may hide what runs, or undefined. Every file that is not a document
 * is read for Trojan source (fail closed: a Makefile, a script without an extension, data the code
 * loads). A document is read for what makes it not one: an image or PDF whose first line is not
 * how its format starts, or a text document holding NUL or another control character. A 58-byte
 * WebAssembly add() committed as `assets/logo.png` (`\0asm`…), loaded by the product, ended the run
 * `complete` with no line of it shown as code to anyone (SECURITY.md, "Code that reads as something
 * else is held").
 */
export function dataLineReason(text: string, file: string, lineNo: number): string | undefined {
  const format = BINARY_DOCUMENTS.find((f) => f.ext.test(file));
  if (format) return lineNo === 1 && !format.start.test(text) ? `is named as a ${format.name} and does not start as one: data the code may run, which no reviewer reads` : undefined;
  if (!isDocumentPath(file)) return trojanSourceReason(text, file, lineNo);
  const control = BINARY_IN_TEXT.exec(text);
  return control ? `a document holding control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}: binary data, not text` : undefined;
}

/**
 * Code compiled from bytes: WebAssembly (`\0asm` read from a file or decoded from a base64 string)
 * or a native addon loaded by path. What runs is in no line a reviewer reads.
 */
const CODE_FROM_BYTES = /\bWebAssembly\b|\bprocess\s*\.\s*dlopen\b/;
/**
 * WebAssembly's magic and version (`\0asm`, 1) written as data: base64 (`AGFzbQEAAAA`), escaped
 * (`\x00asm`, `\0asm`, `\u0000asm`), hex (`0061736d01000000`) or a list of bytes (`0x00, 0x61, 0x73, 0x6d`, `0, 97, 115, 109`):
 * a module inlined where the name of the API that runs it is built at run time.
 */
const WASM_MAGIC = /AGFzbQEAAAA|\\(?:x00|0|u0000)asm|0061736d01000000|\b0x0*0\s*,\s*0x61\s*,\s*0x73\s*,\s*0x6d\b|\b0\s*,\s*97\s*,\s*115\s*,\s*109\b/i;

/**
 * A source-encoding declaration (PEP 263, also Ruby's and Emacs' `coding:`) on line 1 or 2 naming
 * anything but UTF-8 or ASCII: a codec the reader does not apply in their head (UTF-7 turns
 * `+AAo-` into a line break inside what reads as a comment).
 */
const CODING_COOKIE = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;
const PLAIN_CODING = /^(utf[-_]?8([-_].*)?|(us[-_]?)?ascii)$/i;

/**
 * Bidi embeddings, overrides, isolates and marks (CVE-2021-42574), zero-width and invisible
 * characters (including the Hangul fillers, valid in JavaScript identifiers and drawn as nothing),
 * the soft hyphen, and the line and paragraph separators (a JavaScript line break that a diff
 * shows inside one line). U+FEFF is allowed as a byte-order mark at the start of line 1.
 */
const INVISIBLE = /[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u061c\u2060-\u2064\ufeff\u00ad\u034f\u115f\u1160\u180e\u3164\uffa0\u2028\u2029]/u;
/** A zero-width joiner inside an emoji sequence (👩‍💻) is how emoji are written, not a disguise. */
const EMOJI_ZWJ = /(?<=[\p{Extended_Pictographic}\p{Emoji_Modifier}\ufe0f])\u200d(?=\p{Extended_Pictographic})/gu;

/**
 * The invisible characters writing systems are spelled with: the bidi marks (LRM, RLM, ALM) Hebrew
 * and Arabic typography puts after a number or sign, the joiners (ZWNJ, ZWJ) of Persian and Indic
 * spelling, the zero-width space of Thai, Lao, Khmer and Burmese word breaks, the soft hyphen and
 * the word joiner of hyphenation hints. In a translation or data file (`TEXT_FORMAT`), on a line
 * that holds a letter of a script other than Latin, Greek, Cyrillic or Armenian, they are that
 * text, not a disguise: a translator's he.json or fa.po was held for them. Bidi embeddings,
 * overrides and isolates (which reorder what follows), control characters, and these marks in code
 * or in a line of Latin-script data (`"admin\u200b": true`) stay flagged.
 */
const WRITING_MARKS = /[\u200b-\u200f\u061c\u00ad\u2060]/gu;
const TEXT_FORMAT = /\.(ya?ml|csv|tsv|po|pot|properties|xml|html?|xlf|xliff|strings|stringsdict|resx|json|json5|jsonc|arb|ftl)$/i;
const SCRIPT_USING_MARKS = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Gurmukhi}\p{Script=Gujarati}\p{Script=Oriya}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Malayalam}\p{Script=Sinhala}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Tibetan}]/u;

/** `text` without the writing-system marks when `file` is text and the line is written in a script that needs them. */
function withoutWritingMarks(text: string, file: string): string {
  if (!TEXT_FORMAT.test(file)) return text;
  if (SCRIPT_USING_MARKS.test(text)) return text.replace(WRITING_MARKS, '');
  // The soft hyphen and word joiner are hyphenation hints in any language's prose (`Donau\u00addampf`).
  return /[\u00ad\u2060]/.test(text) && /\p{L}{2}[\u00ad\u2060]\p{L}{2}/u.test(text) ? text.replace(/(?<=\p{L})[\u00ad\u2060](?=\p{L})/gu, '') : text;
}

/**
 * Control characters but a tab: a lone CR (a line break to Python and JavaScript that a diff shows
 * inside one line, and that a terminal draws over the line's start), NUL, ESC (terminal sequences
 * that erase or redraw what follows), backspace, DEL, the C1 controls (U+0085 NEL among them). A
 * CR ending the line (a CRLF file) is not one; neither is a form feed alone on its line (a page
 * break, as some projects use).
 */
const CONTROL = /[\x00-\x08\x0b\x0e-\x1f\x7f\x80-\x9f]|\r(?!$)/;


/**
 * A Cyrillic, Greek or Armenian letter that looks like a Latin one. In code (strings and comments
 * left out) such a letter makes a name that reads like the tested one and is another; a word
 * mixing such scripts with Latin letters is one anywhere.
 */
const LOOKALIKE = /[\u0430\u0432\u0435\u043a\u043c\u043d\u043e\u0440\u0441\u0442\u0443\u0445\u0456\u0458\u0455\u0501\u051b\u051d\u04af\u04bb\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0406\u0408\u0405\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u03bf\u03bd\u03b9\u03ba\u03c1\u03c5\u0578\u057d\u0585]/u;
const WORD = /[\p{L}\p{N}_$]+/gu;
const OTHER_SCRIPT = /[\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Armenian}]/u;

/** Word by word, so a line costs in proportion to its length (one expression looking ahead from every letter did not). */
function mixesScripts(text: string): boolean {
  if (!OTHER_SCRIPT.test(text)) return false;
  for (const [w] of text.matchAll(WORD)) if (/[A-Za-z]/.test(w) && OTHER_SCRIPT.test(w)) return true;
  return false;
}

/** An identifier escape (`\u0061dd` is `add` to JavaScript and Java), not a character-class range. */
const IDENTIFIER_ESCAPE = /(?<![\\[\-])\\u(?:\{[0-9a-fA-F]+\}|[0-9a-fA-F]{4})(?![-\]])/;
/** Java decodes `\u` escapes before it reads anything: a line break or quote this way ends a comment or string. */
const JAVA_STRUCTURAL_ESCAPE = /\\u+00(?:0[aAdD]|2[27aAfF]|5[cC])/;
const ESCAPES_IDENTIFIERS = /\.([cm]?[jt]sx?|java|kt)$/i;

const NOT_PLAIN_ASCII = /[^\t\r\x20-\x7e]|\r(?!$)/;
const STRING = /"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\\n]|\\.)*`/g;
const HASH_COMMENT = /(\.(py|pyi|rb|sh|bash|zsh|ksh|pl|pm|r|mk|ya?ml|toml|cfg|conf|ini)|(^|\/)(Makefile|[^./]+))$/i;
/**
 * Text formats whose words are not quoted (YAML, CSV, translations, markup): a letter of another
 * script there is text, not a name; a word mixing scripts is still flagged.
 */
const UNQUOTED_TEXT = /\.(ya?ml|csv|tsv|po|pot|properties|xml|html?|xlf|xliff|strings|resx)$/i;

/** The line without its strings and comments (roughly: a lexer per language is not worth it here). */
function codePart(line: string, file: string): string {
  const t = line.replace(STRING, '""');
  if (HASH_COMMENT.test(file)) return t.replace(/#.*$/, '');
  if (/^\s*\*/.test(t)) return '';
  return t.replace(/\/\*.*?(\*\/|$)/g, ' ').replace(/\/\/.*$/, '');
}

/**
 * Why an added line of `file` (its new line number `lineNo`) may run differently from how it
 * reads, or undefined. Pure.
 */
export function trojanSourceReason(text: string, file: string, lineNo: number): string | undefined {
  if (lineNo <= 2) {
    const cookie = CODING_COOKIE.exec(text);
    if (cookie && !PLAIN_CODING.test(cookie[1]!)) return `declares source encoding ${cookie[1]}`;
  }
  if (CODE_FROM_BYTES.test(text)) return 'runs code compiled from bytes (WebAssembly, a native addon), which no reviewer reads';
  if (WASM_MAGIC.test(text)) return 'holds a WebAssembly module as data (its magic number), code no reviewer reads';
  // Most lines are printable ASCII: only a `\u` escape can disguise one of those.
  if (!NOT_PLAIN_ASCII.test(text)) return text.includes('\\u') ? escapedName(text, file) : undefined;
  const visible = withoutWritingMarks((lineNo === 1 ? text.replace(/^\ufeff/, '') : text).replace(EMOJI_ZWJ, ''), file);
  const invisible = INVISIBLE.exec(visible);
  if (invisible) return `holds U+${invisible[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} (invisible, reorders or breaks the line)`;
  const control = CONTROL.exec(text);
  if (control) return control[0] === '\r' ? 'holds a carriage return inside the line' : `holds control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  if (text.includes('\f') && /\S/.test(text)) return 'holds a form feed inside the line';
  if (mixesScripts(text)) return 'a word mixes Latin letters with look-alike letters of another script';
  if (LOOKALIKE.test(text) && !UNQUOTED_TEXT.test(file) && LOOKALIKE.test(codePart(text, file))) return 'a name in the code holds a letter that looks Latin and is not';
  return text.includes('\\u') ? escapedName(text, file) : undefined;
}

/** A name written with `\u` escapes (JavaScript, Java, Kotlin), or a Java escape that ends a comment or string. */
function escapedName(text: string, file: string): string | undefined {
  if (ESCAPES_IDENTIFIERS.test(file) && IDENTIFIER_ESCAPE.test(codePart(text, file))) return 'a name in the code is written with \\u escapes';
  if (/\.java$/i.test(file) && JAVA_STRUCTURAL_ESCAPE.test(text)) return 'a \\u escape Java reads as a line break, quote or comment character';
  return undefined;
}

const SHOWN_AS_CODE_POINT = new RegExp(`${INVISIBLE.source}|[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]`, 'gu');

/** A line with each invisible or control character written as `<U+XXXX>`, for reports and prompts. */
export function showCodePoints(text: string): string {
  return text.replace(SHOWN_AS_CODE_POINT, (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`);
}
