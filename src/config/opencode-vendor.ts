/**
 * Which vendor an opencode peer's requests go to, for the credentials it needs. In the pod opencode
 * is pointed at the auth sidecar's Anthropic upstream (sandbox/pod-env.ts, src/config/peer-argv.ts
 * opencodeArgv), served with ANTHROPIC_API_KEY or Claude Code's login, like a claude peer. opencode
 * names the provider inside the model (`anthropic/claude-sonnet-4-6`); without a model it takes the
 * one its environment can serve, which in the pod is Anthropic's. An `openai/…` model posts to the
 * workspace's OPENAI_BASE_URL, the sidecar's OpenAI route (seen in test/e2e rehearsals: its requests
 * took the scripted codex peer's replies), which only OPENAI_API_KEY serves. opencode's own login file
 * (`~/.local/share/opencode/auth.json`) never enters the pod: the sidecar holds every credential.
 */
import { join } from 'node:path';
import type { PeerSpec } from './config-schema.ts';

/** Settings with which a peer's opencode brings its own providers (a rehearsal, the user's endpoint). */
export const OPENCODE_OWN_CONFIG_ENV = ['OPENCODE_CONFIG_CONTENT', 'OPENCODE_CONFIG', 'ANTHROPIC_BASE_URL'] as const;

/**
 * 'anthropic' when the pod's sidecar serves this opencode peer; 'own-config' when its env brings
 * its own providers; otherwise the provider its model names.
 */
export function opencodeProvider(peer: Pick<PeerSpec, 'model' | 'env'>): string {
  if (OPENCODE_OWN_CONFIG_ENV.some((k) => peer.env?.[k] !== undefined)) return 'own-config';
  const model = peer.model?.trim();
  if (!model || !model.includes('/')) return 'anthropic';
  return model.slice(0, model.indexOf('/'));
}

/** opencode's own login file, where `opencode auth login` writes it (XDG data dir). */
export function opencodeLoginFile(env: Record<string, string | undefined>, home: string): string {
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'opencode', 'auth.json');
}
