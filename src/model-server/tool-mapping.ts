/**
 * Translates the scenario's API-neutral tool calls into the concrete tools the calling CLI
 * declared in its request. Tool names and argument shapes were read from captured traffic of the
 * installed CLIs (Claude Code 2.1.330: Bash {command, description}, Write {file_path, content},
 * Edit {file_path, old_string, new_string}, Read {file_path}; Codex 0.169.0: exec_command {cmd}
 * as a JSON function, apply_patch as a freeform "custom" tool whose input is the patch text).
 * Older Codex tool names (shell, shell_command) are honoured when those are what is declared.
 * opencode 1.18.33 also speaks the Anthropic API but declares lower-case tools with camelCase
 * arguments: bash {command}, write {filePath, content}, edit {filePath, oldString, newString},
 * read {filePath}, all paths absolute; those shapes are used whenever its `bash` is declared. On
 * an OpenAI model it speaks the Responses API (toOpencodeResponsesCall below).
 */
import { isAbsolute, join } from 'node:path';
import type { ToolCall } from './scenario-schema.ts';

export type ConcreteCall =
  | { kind: 'json'; name: string; input: Record<string, unknown> }
  | { kind: 'custom'; name: string; input: string };

/** What the request told us about the CLI: the tools it offers and its working directory. */
export type ToolContext = { declared: Map<string, 'function' | 'custom'>; cwd?: string };

function absolute(path: string, cwd: string | undefined): string {
  return isAbsolute(path) || !cwd ? path : join(cwd, path);
}

function patchLines(text: string, prefix: string): string {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return lines.map((l) => `${prefix}${l}\n`).join('');
}

export function addFilePatch(path: string, content: string): string {
  return `*** Begin Patch\n*** Add File: ${path}\n${patchLines(content, '+')}*** End Patch\n`;
}

export function updateFilePatch(path: string, oldText: string, newText: string): string {
  return `*** Begin Patch\n*** Update File: ${path}\n@@\n${patchLines(oldText, '-')}${newText === '' ? '' : patchLines(newText, '+')}*** End Patch\n`;
}

export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** opencode's tools (it declares `bash`, never Claude's `Bash`). */
function toOpencodeCall(call: Exclude<ToolCall, { tool: unknown } | { apply_patch: string }>, ctx: ToolContext): ConcreteCall {
  if ('shell' in call) return { kind: 'json', name: 'bash', input: { command: call.shell } };
  if ('write' in call) return { kind: 'json', name: 'write', input: { filePath: absolute(call.write.path, ctx.cwd), content: call.write.content } };
  if ('edit' in call) return { kind: 'json', name: 'edit', input: { filePath: absolute(call.edit.path, ctx.cwd), oldString: call.edit.old, newString: call.edit.new } };
  return { kind: 'json', name: 'read', input: { filePath: absolute(call.read, ctx.cwd) } };
}

export function toAnthropicCalls(calls: ToolCall[], ctx: ToolContext): ConcreteCall[] {
  const opencode = ctx.declared.has('bash') && !ctx.declared.has('Bash');
  return calls.map((call): ConcreteCall => {
    if (opencode && !('tool' in call) && !('apply_patch' in call)) return toOpencodeCall(call, ctx);
    if ('shell' in call) return { kind: 'json', name: 'Bash', input: { command: call.shell, description: 'Scripted step' } };
    if ('write' in call) return { kind: 'json', name: 'Write', input: { file_path: absolute(call.write.path, ctx.cwd), content: call.write.content } };
    if ('edit' in call) {
      return { kind: 'json', name: 'Edit', input: { file_path: absolute(call.edit.path, ctx.cwd), old_string: call.edit.old, new_string: call.edit.new } };
    }
    if ('read' in call) return { kind: 'json', name: 'Read', input: { file_path: absolute(call.read, ctx.cwd) } };
    if ('tool' in call) {
      const input = call.tool.input;
      return typeof input === 'string' ? { kind: 'json', name: call.tool.name, input: { input } } : { kind: 'json', name: call.tool.name, input };
    }
    // The schema refuses apply_patch for anthropic peers; reaching here means a bypassed schema.
    throw new Error('apply_patch is not an Anthropic tool');
  });
}

function codexShell(command: string, ctx: ToolContext): ConcreteCall {
  if (ctx.declared.has('exec_command') || ctx.declared.size === 0) return { kind: 'json', name: 'exec_command', input: { cmd: command } };
  if (ctx.declared.has('shell_command')) return { kind: 'json', name: 'shell_command', input: { command } };
  if (ctx.declared.has('shell')) return { kind: 'json', name: 'shell', input: { command: ['bash', '-lc', command] } };
  return { kind: 'json', name: 'exec_command', input: { cmd: command } };
}

function codexPatch(patch: string, ctx: ToolContext): ConcreteCall {
  // Declared as a JSON function in some Codex versions, as a freeform custom tool in others.
  return ctx.declared.get('apply_patch') === 'function' ? { kind: 'json', name: 'apply_patch', input: { input: patch } } : { kind: 'custom', name: 'apply_patch', input: patch };
}

/**
 * opencode on an OpenAI model (`openai/…`) speaks the Responses API with its own tools: bash
 * {command}, read {filePath}, and apply_patch {patchText} (a JSON function taking the same patch
 * text as Codex's) in place of write/edit. Recognised by a declared `bash` and no Codex shell tool.
 */
function toOpencodeResponsesCall(call: ToolCall, ctx: ToolContext): ConcreteCall | undefined {
  if ('shell' in call) return { kind: 'json', name: 'bash', input: { command: call.shell } };
  if ('read' in call) return { kind: 'json', name: 'read', input: { filePath: absolute(call.read, ctx.cwd) } };
  if ('write' in call) return { kind: 'json', name: 'apply_patch', input: { patchText: addFilePatch(call.write.path, call.write.content) } };
  if ('edit' in call) return { kind: 'json', name: 'apply_patch', input: { patchText: updateFilePatch(call.edit.path, call.edit.old, call.edit.new) } };
  if ('apply_patch' in call) return { kind: 'json', name: 'apply_patch', input: { patchText: call.apply_patch } };
  return undefined;
}

export function toResponsesCalls(calls: ToolCall[], ctx: ToolContext): ConcreteCall[] {
  const opencode = ctx.declared.has('bash') && !['exec_command', 'shell_command', 'shell'].some((t) => ctx.declared.has(t));
  return calls.map((call): ConcreteCall => {
    const oc = opencode ? toOpencodeResponsesCall(call, ctx) : undefined;
    if (oc) return oc;
    if ('shell' in call) return codexShell(call.shell, ctx);
    if ('write' in call) return codexPatch(addFilePatch(call.write.path, call.write.content), ctx);
    if ('edit' in call) return codexPatch(updateFilePatch(call.edit.path, call.edit.old, call.edit.new), ctx);
    if ('read' in call) return codexShell(`cat -- ${shellQuote(call.read)}`, ctx);
    if ('apply_patch' in call) return codexPatch(call.apply_patch, ctx);
    const input = call.tool.input;
    return typeof input === 'string' ? { kind: 'custom', name: call.tool.name, input } : { kind: 'json', name: call.tool.name, input };
  });
}
