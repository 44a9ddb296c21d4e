/**
 * Attack on the bill: tools the vendor defines (the client runs them, the vendor writes their
 * instructions) are billed as input far beyond their bytes in the body. Anthropic documents the
 * computer tool at 735 input tokens plus 466 to 499 of system prompt, the text editor at 700, bash
 * at 245, beside the 346-token tool-use system prompt: `{"type": "bash_20250124", "name": "bash"}`
 * is 40 bytes. The reservation bounded the prompt by the body's bytes plus 1024 tokens of overhead
 * for the whole request, so a small request naming those three tools was reserved at about 1.3k
 * prompt tokens and billed 2.8k, and requests one after another passed a token cap by more than
 * the whole of it.
 *
 * The rule (auth-proxy/usage/request-cost.ts, `VENDOR_TOOL_OVERHEAD_TOKENS`; SECURITY.md, "A
 * request goes out only if the budget left covers it"): each tool of a vendor-defined type
 * (anything but a custom or function tool, wherever a `tools` list sits) adds 2048 tokens to the
 * request's prompt bound. The stand-in vendor bills Anthropic's documented overhead.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { requestFactsOf, VENDOR_TOOL_OVERHEAD_TOKENS } from '../../../auth-proxy/usage/request-cost.ts';
import { vendorDefinedTools } from '../../../auth-proxy/usage/off-body-input.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

/** Anthropic's documented input tokens per tool type (computer: definition and its system prompt). */
const DOCUMENTED: Record<string, number> = { computer: 735 + 499, text_editor: 700, bash: 245 };
const TOOL_SYSTEM_PROMPT = 346;

let vendor: StandInVendor;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, body, res) => {
    const doc = JSON.parse(body.toString()) as { model: string; tools?: { type?: string }[] };
    const tools = doc.tools ?? [];
    const overhead = (tools.length ? TOOL_SYSTEM_PROMPT : 0) + tools.reduce((s, t) => s + (DOCUMENTED[String(t.type).replace(/_\d{8}$/, '')] ?? 0), 0);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'message', model: doc.model, content: [], usage: { input_tokens: body.length + overhead, output_tokens: 1 } }));
  });
});
afterAll(() => vendor.close());

const TOOLS = [
  { type: 'computer_20250124', name: 'computer', display_width_px: 1024, display_height_px: 768 },
  { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' },
  { type: 'bash_20250124', name: 'bash' },
];
const BODY = { model: 'claude-sonnet-4-5', max_tokens: 1, tools: TOOLS, messages: [{ role: 'user', content: 'hi' }] };
const CAP = 10_000;

describe('tools the vendor defines are reserved at what their instructions can be billed', () => {
  test('requests naming the computer, text editor and bash tools, one after another, never pass a token cap', async () => {
    const sc = await sidecarFor('anthropic', vendor.port, { maxTokens: CAP });
    try {
      for (let i = 0; i < 7; i++) {
        const r = await fetch(`${sc.s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BODY) });
        await r.text();
      }
      const spent = readLedgerFile(sc.s.ledger.path).lines.filter(isReply).reduce((s, l) => s + l.total_tokens, 0);
      expect(spent).toBeGreaterThan(0);
      // Before: four went out, 11.3k tokens billed at a 10k cap.
      expect(spent).toBeLessThanOrEqual(CAP);
    } finally {
      await sc.close();
    }
  });

  test('the pure rule: each vendor-defined tool, in any tools list, adds its overhead; custom and function tools add none', () => {
    expect(VENDOR_TOOL_OVERHEAD_TOKENS).toBeGreaterThanOrEqual(Math.max(...Object.values(DOCUMENTED)) + TOOL_SYSTEM_PROMPT);
    expect(vendorDefinedTools(BODY)).toBe(3);
    const bytes = Buffer.byteLength(JSON.stringify(BODY));
    expect(requestFactsOf(BODY, bytes, 'anthropic').promptTokensBound).toBe(bytes + 1024 + 3 * VENDOR_TOOL_OVERHEAD_TOKENS);
    expect(vendorDefinedTools({ tools: [{ name: 'a', input_schema: {} }, { type: 'custom', name: 'b' }] })).toBe(0);
    // Codex's shape: client tools in a namespace inside an input item; function tools count nothing, apply_patch and local_shell do.
    const codex = { input: [{ type: 'additional_tools', tools: [{ type: 'namespace', name: 'ns', tools: [{ type: 'function', name: 'f' }, { type: 'apply_patch' }] }] }], tools: [{ type: 'local_shell' }, { type: 'function', name: 'g', parameters: { tools: [{ type: 'bash_20250124' }] } }] };
    expect(vendorDefinedTools(codex)).toBe(2);
  });
});
