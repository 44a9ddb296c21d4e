import { afterAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, InputErrors } from '../../../src/cli/errors.ts';
import { loadConfigFile, loadGoalsFile, loadProject } from '../../../src/config/load.ts';
import { configTemplate, goalsTemplate } from '../../../src/mode-registry/init-project.ts';
import { didYouMean, editDistance } from '../../../src/cli/did-you-mean.ts';

const root = mkdtempSync(join(tmpdir(), 'peers-load-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function file(text: string, name = 'f.yaml'): string {
  const dir = join(root, String(n++));
  mkdirSync(dir);
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

/** Every problem of a failed load as `line:column message`. */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    expect(error.exitCode).toBe(2);
    const list = error instanceof InputErrors ? error.problems : [error];
    return list.map((p) => `${p.location?.line}:${p.location?.column} ${p.message}`);
  }
  throw new Error('expected the load to fail');
}

const PEERS = `peers:
  - name: a
    tool: claude
    argv: [claude, -p]
  - name: b
    tool: codex
    argv: [codex, exec, "-"]
`;

describe('loading config.yaml and goals.yaml', () => {
  test('the shipped templates load cleanly', () => {
    expect(loadConfigFile(file(configTemplate)).peers.map((p) => p.name)).toEqual(['claude', 'codex']);
    expect(loadGoalsFile(file(goalsTemplate)).goals.map((g) => g.id)).toEqual([
      'self-review-on-handoff', 'bug-hunt-clean', 'bug-hunt-round-1', 'bug-hunt-round-2', 'test-coverage-3-class', 'placeholder-replace-me',
    ]);
  });

  test('misspelt key: line, column and a did-you-mean', () => {
    const path = file(`${PEERS}health:\n  idle_timout_s: 60\n`);
    expect(problems(() => loadConfigFile(path))).toEqual(["9:3 unknown key 'idle_timout_s' in health; did you mean idle_timeout_s?"]);
  });

  test('unknown key with no close match lists the allowed keys instead', () => {
    try {
      loadConfigFile(file(`${PEERS}colour: blue\n`));
      throw new Error('should fail');
    } catch (error) {
      expect((error as InputError).message).toBe("unknown key 'colour'");
      expect((error as InputError).hint).toContain('allowed keys: peers, budget, health');
    }
  });

  test('unknown key inside a goal suggests from that goal type', () => {
    const path = file('goals:\n  - id: t\n    type: hard\n    cmd: "true"\n    pass_when: exit_code == 0\n    retry_on_fial: 2\n');
    expect(problems(() => loadGoalsFile(path))).toEqual(["6:5 unknown key 'retry_on_fial' in goals[0]; did you mean retry_on_fail?"]);
  });

  test('wrong type points at the value', () => {
    const path = file(`${PEERS}budget:\n  max_ticks: lots\n`);
    expect(problems(() => loadConfigFile(path))).toEqual(['9:14 budget.max_ticks: Invalid input: expected number, received string']);
  });

  test('a timeout past what a timer can hold (24 days) is refused where it is written: it used to fire at once, failing the gate in 0 s', () => {
    const config = file(`${PEERS}health:\n  idle_timeout_s: 2147484\n  kill_grace_s: 1e12\ngoals:\n  timeout_s: 99999999999\nverify:\n  timeout_s: 2147484\n  commands: [{cmd: "true", timeout_s: 2147484}]\n`);
    const tooLong = 'at most 2147483 seconds (24 days), the longest wait a timer holds';
    expect(problems(() => loadConfigFile(config))).toEqual([
      `9:19 health.idle_timeout_s: ${tooLong}`, `10:17 health.kill_grace_s: ${tooLong}`, `12:14 goals.timeout_s: ${tooLong}`,
      `14:14 verify.timeout_s: ${tooLong}`, `15:39 verify.commands[0].timeout_s: ${tooLong}`,
    ]);
    const goals = file('goals:\n  - id: t\n    type: hard\n    cmd: "true"\n    pass_when: exit_code == 0\n    timeout_s: 2147484\n');
    expect(problems(() => loadGoalsFile(goals))).toEqual([`6:16 goals[0].timeout_s: ${tooLong}`]);
    // The longest a timer holds is still a timeout.
    expect(loadGoalsFile(file('goals:\n  - id: t\n    type: hard\n    cmd: "true"\n    pass_when: exit_code == 0\n    timeout_s: 2147483\n')).goals[0]).toMatchObject({ timeout_s: 2147483 });
  });

  test('an unquoted true or number where text belongs (cmd: true, the shell command) says how to quote it', () => {
    const path = file('goals:\n  - id: t\n    type: hard\n    cmd: true\n    pass_when: exit_code == 0\n');
    try {
      loadGoalsFile(path);
      throw new Error('expected an error');
    } catch (error) {
      expect((error as InputError).message).toBe('goals[0].cmd: Invalid input: expected string, received boolean');
      expect((error as InputError).location).toMatchObject({ line: 4, column: 10 });
      expect((error as InputError).hint).toBe("YAML reads an unquoted true as a boolean, not text: quote it (cmd: 'true')");
    }
    // A wrong type that quoting would not fix gets no such hint.
    try {
      loadConfigFile(file(`${PEERS}budget:\n  max_ticks: lots\n`));
    } catch (error) {
      expect((error as InputError).hint).toBeUndefined();
    }
  });

  test('a YAML merge key (<<: *base) is named as unsupported where it is written, not "missing required key type"', () => {
    const goals = file('base: &base\n  type: hard\n  cmd: "true"\n  pass_when: exit_code == 0\ngoals:\n  - <<: *base\n    id: t\n');
    expect(problems(() => loadGoalsFile(goals))).toEqual(['6:5 YAML merge keys (<<) are not supported in peers files']);
    try {
      loadGoalsFile(goals);
    } catch (error) {
      expect((error as InputError).hint).toBe('write the keys out in each mapping: peers reads YAML 1.2, where << is an ordinary key');
    }
    // Quoted, it is an ordinary key (and an unknown one).
    expect(problems(() => loadGoalsFile(file('goals:\n  - "<<": 1\n    id: t\n    type: hard\n    cmd: "true"\n    pass_when: exit_code == 0\n')))).toEqual(["2:5 unknown key '<<' in goals[0]; did you mean id?"]);
  });

  test('a tag that makes a text field something else (!!binary, !!int) says to remove the tag, not to quote the value', () => {
    for (const [tagged, tag, what] of [['!!binary dHJ1ZQ==', '!!binary', 'binary data'], ['!!int "3"', '!!int', 'a number']] as const) {
      try {
        loadGoalsFile(file(`goals:\n  - id: t\n    type: hard\n    cmd: ${tagged}\n    pass_when: exit_code == 0\n`));
        throw new Error('expected an error');
      } catch (error) {
        expect((error as InputError).hint).toBe(`the tag ${tag} makes YAML read this as ${what}, not text: remove the tag`);
      }
    }
  });

  test('YAML syntax error is located', () => {
    const path = file('goals:\n  - id: a\n   type: hard\n');
    const [first] = problems(() => loadGoalsFile(path));
    expect(first).toMatch(/^3:\d+ YAML syntax error: /);
  });

  test('a duplicate key in a mapping is a YAML error, not a silent override', () => {
    const path = file(`${PEERS}budget:\n  max_ticks: 3\n  max_ticks: 4\n`);
    expect(problems(() => loadConfigFile(path))[0]).toMatch(/^10:3 YAML syntax error: Map keys must be unique/);
  });

  test('duplicate goal ids point at the second goal', () => {
    const goal = (id: string) => `  - id: ${id}\n    type: hard\n    cmd: "true"\n    pass_when: exit_code == 0\n`;
    const path = file(`goals:\n${goal('x')}${goal('y')}${goal('x')}`);
    expect(problems(() => loadGoalsFile(path))).toEqual(["10:9 goals[2].id: duplicate goal id 'x'; goal ids must be unique"]);
  });

  test('unparsable pass_when points at the offending character, plain or quoted', () => {
    const plain = file('goals:\n  - id: x\n    type: hard\n    cmd: "true"\n    pass_when: exit_code = 0\n');
    expect(problems(() => loadGoalsFile(plain))[0]).toMatch(/^5:26 goals\[0\]\.pass_when: pass_when does not parse: /);
    const quoted = file('goals:\n  - id: x\n    type: hard\n    cmd: "true"\n    pass_when: "exit_code = 0"\n');
    expect(problems(() => loadGoalsFile(quoted))[0]).toMatch(/^5:27 /);
  });

  test('missing required key points at the mapping that lacks it', () => {
    const path = file('goals:\n  - id: x\n    type: soft\n    prompt: p\n');
    expect(problems(() => loadGoalsFile(path))).toEqual(["2:5 missing required key 'reviewer' in goals[0]"]);
  });

  test('all problems of a file are reported at once, in line order', () => {
    const path = file(`${PEERS}budget:\n  max_tiks: 3\nhealth:\n  kill_grace_s: -1\n`);
    expect(problems(() => loadConfigFile(path))).toEqual([
      "9:3 unknown key 'max_tiks' in budget; did you mean max_ticks?",
      '11:17 health.kill_grace_s: Too small: expected number to be >0',
    ]);
  });

  test('empty goals file is no goals; empty config is an error naming peers', () => {
    expect(loadGoalsFile(file('')).goals).toEqual([]);
    expect(problems(() => loadConfigFile(file('# nothing\n')))[0]).toBe("1:1 missing required key 'peers'");
  });

  test('a file saved in Latin-1 (not UTF-8) is refused at the first bad byte: the gate command would otherwise run with \uFFFD in place of é', () => {
    const dir = join(root, String(n++));
    mkdirSync(dir);
    const path = join(dir, 'goals.yaml');
    writeFileSync(path, Buffer.concat([Buffer.from('goals:\n  - id: menu\n    type: hard\n    cmd: grep -q "caf'), Buffer.from([0xe9]), Buffer.from('" menu.txt\n    pass_when: exit_code == 0\n')]));
    expect(problems(() => loadGoalsFile(path))).toEqual(['4:22 not UTF-8 text (byte 0xe9): save the file as UTF-8']);
    // A UTF-8 é, a byte order mark and CRLF line ends are all fine.
    expect(loadGoalsFile(file('\ufeffgoals:\r\n  - id: menu\r\n    type: hard\r\n    cmd: grep -q "café" menu.txt\r\n    pass_when: exit_code == 0\r\n')).goals[0]).toMatchObject({ cmd: 'grep -q "café" menu.txt' });
  });

  test('a file over 2 MiB, a symlink and a missing file are refused cleanly', () => {
    expect(problems(() => loadConfigFile(file(`# ${'x'.repeat(2 * 1024 * 1024)}\n`)))[0]).toContain('larger than');
    const target = file(PEERS);
    const link = join(root, 'link.yaml');
    symlinkSync(target, link);
    expect(problems(() => loadConfigFile(link))[0]).toContain('symlink');
    expect(problems(() => loadConfigFile(join(root, 'nope.yaml')))[0]).toContain('file not found');
  });

  test('an alias bomb ("billion laughs") is refused as bad input, not expanded and not a crash', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...['b', 'c', 'd', 'e'].map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcd'[i]}`).join(', ')}]`)].join('\n');
    expect(problems(() => loadConfigFile(file(`${bomb}\n`)))[0]).toMatch(/^1:1 YAML aliases expand too far: /);
  });

  test('a FIFO or a directory in place of a control file is refused at once, never read (no hang)', () => {
    const fifo = join(root, 'fifo.yaml');
    Bun.spawnSync(['mkfifo', fifo]);
    expect(problems(() => loadConfigFile(fifo))[0]).toContain('not a regular file');
    const dir = join(root, 'dir.yaml');
    mkdirSync(dir);
    expect(problems(() => loadGoalsFile(dir))[0]).toContain('not a regular file');
  });

  test('loadProject needs .peers/ and reports both files together', () => {
    const repo = join(root, 'repo');
    mkdirSync(repo);
    try {
      loadProject(repo);
      throw new Error('should fail');
    } catch (error) {
      expect((error as InputError).hint).toContain('peers init');
    }
    mkdirSync(join(repo, '.peers'));
    writeFileSync(join(repo, '.peers', 'config.yaml'), `${PEERS}budget: {max_tiks: 1}\n`);
    writeFileSync(join(repo, '.peers', 'goals.yaml'), 'goals: [{id: a, type: hard}]\n');
    expect(problems(() => loadProject(repo)).length).toBe(3); // unknown key + cmd + pass_when
    writeFileSync(join(repo, '.peers', 'config.yaml'), PEERS);
    writeFileSync(join(repo, '.peers', 'goals.yaml'), goalsTemplate);
    const project = loadProject(repo);
    expect(project.configPath).toBe(join(repo, '.peers', 'config.yaml'));
    expect(project.goals.goals).toHaveLength(6);
  });
});

describe('did-you-mean', () => {
  test('edit distance and suggestion threshold', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(didYouMean('idle_timout_s', ['idle_timeout_s', 'kill_grace_s'])).toBe('idle_timeout_s');
    expect(didYouMean('Max_Ticks', ['max_ticks'])).toBe('max_ticks');
    expect(didYouMean('colour', ['peers', 'budget', 'health'])).toBeUndefined();
  });
});

describe('non-list top-level values', () => {
  test('peers and goals that are not lists are type errors, not crashes', () => {
    expect(problems(() => loadConfigFile(file('peers: 3\n')))[0]).toBe('1:8 peers: Invalid input: expected array, received number');
    expect(problems(() => loadGoalsFile(file('goals: {a: 1}\n')))[0]).toBe('1:8 goals: Invalid input: expected array, received object');
  });
});

describe('keys renamed since the Python peers', () => {
  test('max_iterations and buf_cap_bytes point to their new names', () => {
    const path = file(`${PEERS}budget:\n  max_iterations: 10\nhealth:\n  buf_cap_bytes: 1024\n`);
    expect(problems(() => loadConfigFile(path))).toEqual([
      "9:3 unknown key 'max_iterations' in budget; did you mean max_ticks?",
      "11:3 unknown key 'buf_cap_bytes' in health; did you mean output_cap_bytes?",
    ]);
  });
});
