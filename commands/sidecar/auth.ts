import { oclifFlags } from '../../src/cli/oclif-flags.ts';
import { BaseCommand } from '../base.ts';
import { AUTH_FLAGS, runAuthSidecar } from './auth-role.ts';

export default class SidecarAuth extends BaseCommand {
  static override controlsRuns = true;
  static override summary = 'Run the credential sidecar (internal).';
  static override description =
    'Run the credential sidecar: one loopback port per vendor API, forwarding only the API paths the peer CLIs need to that vendor through the egress proxy, replacing whatever credential the client sent with the real one, streaming replies unbuffered, metering every reply (even one cut short) into the usage ledger and refusing a request the budget left cannot cover.';
  static override hidden = true;
  static override examples = [
    'ANTHROPIC_API_KEY=… OPENAI_API_KEY=… <%= config.bin %> sidecar auth --egress 127.0.0.1:3128 --usage-ledger ~/.local/state/peers/demo/usage.jsonl --max-usd 20',
    '<%= config.bin %> sidecar auth --upstream anthropic --upstream chatgpt --credentials oauth-file --claude-credentials /auth/claude/.credentials.json --codex-auth /auth/codex/auth.json',
    '<%= config.bin %> sidecar auth --egress unix:/run/peers/egress-auth/auth.sock --budget-policy ~/.local/state/peers/demo/budget.json',
  ];
  static override flags = oclifFlags(AUTH_FLAGS);

  async run(): Promise<void> {
    const { flags } = await this.parse(SidecarAuth);
    await runAuthSidecar(flags, this.io);
  }
}
