/**
 * The command tree, listed explicitly so that oclif needs no file discovery inside the compiled
 * binary. Ids use ':' internally; users type them separated by spaces (`peers modes list`).
 */
import { commands as helpPlugin } from '@oclif/plugin-help';
import type { CommandMap } from '../src/cli/bootstrap.ts';
import Commands from './commands.ts';
import SidecarAuth from './sidecar/auth.ts';
import SidecarBridge from './sidecar/bridge.ts';
import SidecarEgress from './sidecar/egress.ts';
import Doctor from './doctor.ts';
import Info from './info.ts';
import Init from './init.ts';
import ModesList from './modes/list.ts';
import Schema from './schema.ts';
import Bugs from './bugs.ts';
import Check from './check.ts';
import ModelServer from './model-server.ts';
import Runner from './runner.ts';
import Verify from './verify.ts';
import ImageBuild from './image/build.ts';
import Up from './up.ts';
import Down from './down.ts';
import Ls from './ls.ts';
import Logs from './logs.ts';
import Loop from './loop.ts';
import Status from './status.ts';
import Replay from './replay.ts';
import Report from './report.ts';
import Demo from './demo.ts';

export const COMMANDS: CommandMap = {
  help: helpPlugin.help as CommandMap[string],
  commands: Commands,
  'sidecar:auth': SidecarAuth,
  'sidecar:bridge': SidecarBridge,
  'sidecar:egress': SidecarEgress,
  doctor: Doctor,
  info: Info,
  init: Init,
  'modes:list': ModesList,
  schema: Schema,
  bugs: Bugs,
  check: Check,
  'model-server': ModelServer,
  runner: Runner,
  verify: Verify,
  'image:build': ImageBuild,
  up: Up,
  down: Down,
  ls: Ls,
  logs: Logs,
  loop: Loop,
  status: Status,
  replay: Replay,
  report: Report,
  demo: Demo,
};
