/**
 * The command tree, listed explicitly so that oclif needs no file discovery inside the compiled
 * binary. Ids use ':' internally; users type them separated by spaces (`peers modes list`).
 *
 * Each command is imported only when it runs: a dynamic import per entry becomes its own chunk of the
 * bundle, so `peers status` does not evaluate the loop, the model server or the sidecars. Help and
 * command lookup read the manifest computed from these classes at build time (command-manifest.ts).
 */
import type { Command } from '@oclif/core';
import type { CommandLoaders } from '../src/cli/bootstrap.ts';

export const COMMAND_LOADERS: CommandLoaders = {
  help: async () => (await import('@oclif/plugin-help')).commands.help as Command.Class,
  commands: async () => (await import('./commands.ts')).default,
  'sidecar:auth': async () => (await import('./sidecar/auth.ts')).default,
  'sidecar:bridge': async () => (await import('./sidecar/bridge.ts')).default,
  'sidecar:egress': async () => (await import('./sidecar/egress.ts')).default,
  'k8s:init': async () => (await import('./k8s/init.ts')).default,
  'k8s:unpack': async () => (await import('./k8s/unpack.ts')).default,
  'k8s:pack': async () => (await import('./k8s/pack.ts')).default,
  'k8s:hold': async () => (await import('./k8s/hold.ts')).default,
  doctor: async () => (await import('./doctor.ts')).default,
  info: async () => (await import('./info.ts')).default,
  init: async () => (await import('./init.ts')).default,
  new: async () => (await import('./new.ts')).default,
  amend: async () => (await import('./amend.ts')).default,
  'ack-block': async () => (await import('./ack-block.ts')).default,
  'modes:list': async () => (await import('./modes/list.ts')).default,
  schema: async () => (await import('./schema.ts')).default,
  bugs: async () => (await import('./bugs.ts')).default,
  check: async () => (await import('./check.ts')).default,
  'model-server': async () => (await import('./model-server.ts')).default,
  runner: async () => (await import('./runner.ts')).default,
  verify: async () => (await import('./verify.ts')).default,
  'image:build': async () => (await import('./image/build.ts')).default,
  up: async () => (await import('./up.ts')).default,
  down: async () => (await import('./down.ts')).default,
  reset: async () => (await import('./reset.ts')).default,
  pause: async () => (await import('./pause.ts')).default,
  resume: async () => (await import('./resume.ts')).default,
  ls: async () => (await import('./ls.ts')).default,
  logs: async () => (await import('./logs.ts')).default,
  loop: async () => (await import('./loop.ts')).default,
  status: async () => (await import('./status.ts')).default,
  replay: async () => (await import('./replay.ts')).default,
  report: async () => (await import('./report.ts')).default,
  dashboard: async () => (await import('./dashboard.ts')).default,
  'notify-watch': async () => (await import('./notify-watch.ts')).default,
  demo: async () => (await import('./demo.ts')).default,
  rm: async () => (await import('./rm.ts')).default,
  prune: async () => (await import('./prune.ts')).default,
  review: async () => (await import('./review.ts')).default,
  completion: async () => (await import('./completion.ts')).default,
};
