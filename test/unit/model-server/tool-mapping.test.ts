/**
 * The scripted model server's tool calls, as each CLI declared its tools (src/model-server/tool-mapping.ts).
 * opencode on an OpenAI model declares bash/read/apply_patch on the Responses API; it was served
 * Codex's exec_command, which it does not have ("Model tried to call unavailable tool
 * 'exec_command'"), so no scripted opencode turn on that API could ever commit.
 */
import { describe, expect, test } from 'bun:test';
import { addFilePatch, toResponsesCalls } from '../../../src/model-server/tool-mapping.ts';

const declared = (names: string[]) => new Map(names.map((n) => [n, 'function' as const]));
/** What opencode 1.18.33 declared on `openai/gpt-5.5`, as its own error message listed them. */
const OPENCODE_OPENAI = declared(['apply_patch', 'bash', 'glob', 'grep', 'invalid', 'read', 'skill', 'task', 'todowrite', 'webfetch']);

describe('Responses API tool calls', () => {
  test("opencode's tools: bash {command}, read {filePath}, apply_patch {patchText} for write and edit", () => {
    const ctx = { declared: OPENCODE_OPENAI, cwd: '/work' };
    expect(toResponsesCalls([{ shell: 'npm test' }, { read: 'a.js' }, { write: { path: 'b.js', content: 'x\n' } }], ctx)).toEqual([
      { kind: 'json', name: 'bash', input: { command: 'npm test' } },
      { kind: 'json', name: 'read', input: { filePath: '/work/a.js' } },
      { kind: 'json', name: 'apply_patch', input: { patchText: addFilePatch('b.js', 'x\n') } },
    ]);
  });

  test("Codex's tools are unchanged: exec_command, and apply_patch as its freeform tool", () => {
    const ctx = { declared: new Map([['exec_command', 'function' as const], ['apply_patch', 'custom' as const]]) };
    expect(toResponsesCalls([{ shell: 'npm test' }, { write: { path: 'b.js', content: 'x\n' } }], ctx)).toEqual([
      { kind: 'json', name: 'exec_command', input: { cmd: 'npm test' } },
      { kind: 'custom', name: 'apply_patch', input: addFilePatch('b.js', 'x\n') },
    ]);
  });
});
