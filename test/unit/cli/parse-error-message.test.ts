/**
 * Every kind of command-line mistake oclif's parser refuses, produced by oclif's own parser and
 * worded by parse-error-message.ts: one line naming what was wrong, the command, and its --help.
 * An oclif upgrade that rewords one of its errors fails here (the line would lose its wording).
 */
import { describe, expect, test } from 'bun:test';
import { Args, Flags, Parser } from '@oclif/core';
import { unknownCommandMessage } from '../../../src/cli/command-suggest.ts';
import { parseErrorMessage } from '../../../src/cli/parse-error-message.ts';

const flags = {
  'max-usd': Flags.string(),
  target: Flags.string({ options: ['podman', 'k8s'] }),
  ticks: Flags.integer({ min: 1 }),
  to: Flags.string({ required: true }),
  fresh: Flags.boolean({ exclusive: ['attach'] }),
  attach: Flags.boolean(),
};
const args = { mode: Args.string({ required: true, options: ['implement', 'review'] }), project: Args.string() };

/** The message for `argv` given to a command `up` with the flags and args above (`to` given unless a test omits it). */
async function messageFor(argv: string[], opts: { withTo?: boolean } = {}): Promise<string> {
  const full = opts.withTo === false ? argv : [...argv, '--to', 'x'];
  try {
    await Parser.parse(full, { flags, args, strict: true });
  } catch (error) {
    return parseErrorMessage(error, { bin: 'peers', command: 'up', flagNames: Object.keys(flags) });
  }
  throw new Error(`oclif accepted ${argv.join(' ')}`);
}

describe('oclif parse errors, in peers words', () => {
  const cases: [string, string[], string, { withTo?: boolean }?][] = [
    ['unknown flag, with the closest one', ['implement', '--fresk'], "unknown flag '--fresk' for 'up'. Did you mean '--fresh'?"],
    ['unknown flag, nothing close', ['implement', '--zzzzzz'], "unknown flag '--zzzzzz' for 'up' (peers up --help lists its flags)"],
    ['missing value', ['implement', '--max-usd'], "--max-usd needs a value for 'up' (see `peers up --help`)"],
    ['missing value of a flag with options', ['implement', '--target'], "--target needs a value for 'up', one of: podman, k8s (see `peers up --help`)"],
    ['a value not among the options', ['implement', '--target', 'docker'], "--target for 'up' does not take 'docker'; it takes one of: podman, k8s (see `peers up --help`)"],
    ['an argument not among the options', ['implmnt'], "'implmnt' is not an argument for 'up'; it takes one of: implement, review (see `peers up --help`)"],
    ['a flag given twice', ['implement', '--max-usd', '1', '--max-usd', '2'], "--max-usd is given more than once for 'up'; give it once (see `peers up --help`)"],
    ['an unexpected argument', ['implement', 'app', 'extra', 'more'], "unexpected arguments 'extra', 'more' for 'up' (see `peers up --help`)"],
    ['a missing required argument', [], "missing argument MODE for 'up' (see `peers up --help`)"],
    ['a missing required flag', ['implement'], "missing required flag --to for 'up' (see `peers up --help`)", { withTo: false }],
    ['flags that exclude each other', ['implement', '--fresh', '--attach'], "--fresh and --attach cannot be given together for 'up' (see `peers up --help`)"],
    ["a flag's own parser refuses the value", ['implement', '--ticks', 'abc'], "--ticks for 'up': expected an integer but received: abc (see `peers up --help`)"],
    ['below the minimum', ['implement', '--ticks', '0'], "--ticks for 'up': expected an integer greater than or equal to 1 but received: 0 (see `peers up --help`)"],
  ];
  for (const [name, argv, expected, opts] of cases) {
    test(name, async () => {
      const message = await messageFor(argv, opts);
      expect(message).toBe(expected);
      // One line, none of oclif's own phrasing left.
      expect(message).not.toMatch(/\n|See more help|Nonexistent|The following|Parsing --|\u001b/);
    });
  }

  test('a message it does not know still names the command and its help, on one line', () => {
    expect(parseErrorMessage(new Error('Something new\nSee more help with --help'), { bin: 'peers', command: 'down', flagNames: [] })).toBe(
      "Something new for 'down' (see `peers down --help`)",
    );
  });
});

describe('words oclif would read as a command name', () => {
  const index = { ids: ['ls', 'modes:list', 'up', 'help'], topics: ['modes'], withoutArgs: ['ls', 'modes:list'] };
  test('after a command that takes no argument: unexpected arguments of it', () => {
    expect(unknownCommandMessage(['ls', 'extra'], index)).toBe("unexpected argument 'extra' for 'ls' (see `peers ls --help`)");
    expect(unknownCommandMessage(['modes', 'list', 'a', 'b', '--json'], index)).toBe("unexpected arguments 'a', 'b' for 'modes list' (see `peers modes list --help`)");
  });
  test('after a command that takes arguments, or followed by flags only: for the command to parse', () => {
    expect(unknownCommandMessage(['up', 'app'], index)).toBeUndefined();
    expect(unknownCommandMessage(['ls', '--json'], index)).toBeUndefined();
  });
  test('a flag before any command: unknown unless it is help or version', () => {
    expect(unknownCommandMessage(['--bogus', 'ls'], index)).toBe("unknown flag '--bogus' (see `peers --help`)");
    for (const flag of ['--help', '-h', '--version']) expect(unknownCommandMessage([flag], index)).toBeUndefined();
  });
  test('help WORDS judges WORDS', () => {
    expect(unknownCommandMessage(['help', 'lss'], index)).toBe("unknown command 'lss'. Did you mean 'ls'?");
    expect(unknownCommandMessage(['help', 'ls'], index)).toBeUndefined();
  });
});
