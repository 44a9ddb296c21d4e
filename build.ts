/**
 * Compiles the single `peers` executable with Bun's bundler (`Bun.build` with `compile`).
 *
 *   bun build.ts                 dist/peers for this machine (linux-x64 in CI)
 *   bun build.ts --release       also dist/release/peers-<target> for every supported target
 *
 * Templates and mode files are imported as text by the source, so they are embedded in the binary;
 * nothing needs to sit beside it.
 *
 * Start-up is most of what a short command costs, so the build is shaped for it:
 *  - ESM with precompiled bytecode: the runtime skips parsing and compiling the bundle at each start.
 *  - Code splitting: each dynamic import (the command tree, each command) is its own chunk, loaded
 *    only when reached, so `--version` loads almost nothing and `status` not the loop.
 *  - JIT tier-up thresholds scaled up at start (STARTUP_JIT_POLICY): a short command runs most of its
 *    code once, and compiling it costs more than interpreting it; src/main.ts restores the normal
 *    policy once a process has lived a second (sidecars, the loop, gates).
 *  - The command manifest is computed here and embedded (see `buildTimeModules`), so listing the
 *    commands imports none of them; help measures text with Bun's native string width.
 *  - Help is rendered here by oclif (render-help.ts) and embedded (see `buildTimeModules`), so
 *    `peers --help` and `peers <command> --help` print it without loading oclif (src/cli/help-fast-path.ts).
 *  - oclif's tsconfig reader is replaced by a stub (see `buildTimeModules`): the real one
 *    `require`s the TypeScript compiler (6 MB, ~100 ms of CPU per start) only to run `.ts` sources
 *    of linked plugins in development, which a compiled binary never has.
 *
 * And shaped for safety: a compiled Bun executable by default reads `.env` and `bunfig.toml` from its
 * working directory. peers runs in repositories the peers write to (the loop's working directory is
 * the repository, and users run `peers status`/`verify` there), so a peer's `.env` would set peers'
 * environment and a peer's `bunfig.toml` `preload` would run its code in the loop (the trusted side of
 * the pod) at its next start, or on the host. Every autoload is off (SECURITY.md;
 * test/smoke/compiled-binary.sh proves it).
 */
import type { BunPlugin } from 'bun';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SOURCE_STAMP_FILE, sourceStamp } from './source-stamp.ts';

/** See Bun.unsafe.setJITPolicy: how many times more reluctant the JIT is until main.ts resets it. */
const STARTUP_JIT_POLICY = 8;

export const RELEASE_TARGETS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'] as const;
type ReleaseTarget = (typeof RELEASE_TARGETS)[number];

/** The module of @oclif/core that requires `typescript`; matched on its resolved path. */
export const OCLIF_TSCONFIG_READER = /[\\/]@oclif[\\/]core[\\/]lib[\\/]util[\\/]read-tsconfig\.js$/;
const COMMAND_MANIFEST_MODULE = join(import.meta.dir, 'src/cli/command-manifest.ts');
const PRERENDERED_HELP_MODULE = join(import.meta.dir, 'src/cli/prerendered-help.ts');
const exactPath = (path: string) => new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

/**
 * oclif reads a plugin's tsconfig.json only to find `.ts` sources to run instead of compiled ones
 * (development with ts-node/tsx). The compiled binary has no tsconfig and no sources on disk, so
 * "no tsconfig" is the true answer; the stub gives it without the compiler. bootstrap.ts also turns
 * the lookup off (`enableAutoTranspile: false`), so this stub is a second wall, not the only one.
 */
const TSCONFIG_READER_STUB = `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.readTSConfig = async function readTSConfig() { return undefined; };
`;

/** The `string-width` package oclif's help and wrap-ansi measure text with (v4: one function). */
export const STRING_WIDTH = /[\\/]node_modules[\\/]string-width[\\/]index\.js$/;

/**
 * string-width 4 matches every string against a huge emoji regular expression, whose compilation
 * was a fifth of `peers --help`. Bun's native Bun.stringWidth gives the same widths for the text
 * peers prints (test/unit/cli-string-width.test.ts) without it.
 */
export const STRING_WIDTH_NATIVE = `"use strict";
const stringWidth = (string) => (typeof string === "string" ? Bun.stringWidth(string) : 0);
module.exports = stringWidth;
module.exports.default = stringWidth;
`;

/**
 * Modules replaced at build time: oclif's tsconfig reader by the stub, string-width by Bun's native
 * one, command-manifest.ts by the manifest it computes (so the binary imports no command to list
 * them) and prerendered-help.ts by the help oclif rendered (so help loads no oclif). Each replacement must happen: a build where one did not (a moved file) fails instead of
 * shipping the compiler or an eager command tree.
 */
export function buildTimeModules(manifestModule: string, helpModule: string): { plugin: BunPlugin; unused(): string[] } {
  const hits = { tsconfigReader: 0, stringWidth: 0, commandManifest: 0, prerenderedHelp: 0 };
  const plugin: BunPlugin = {
    name: 'peers-build-time-modules',
    setup(build) {
      build.onLoad({ filter: OCLIF_TSCONFIG_READER }, () => {
        hits.tsconfigReader++;
        return { contents: TSCONFIG_READER_STUB, loader: 'js' };
      });
      build.onLoad({ filter: STRING_WIDTH }, () => {
        hits.stringWidth++;
        return { contents: STRING_WIDTH_NATIVE, loader: 'js' };
      });
      build.onLoad({ filter: exactPath(COMMAND_MANIFEST_MODULE) }, () => {
        hits.commandManifest++;
        return { contents: manifestModule, loader: 'js' };
      });
      build.onLoad({ filter: exactPath(PRERENDERED_HELP_MODULE) }, () => {
        hits.prerenderedHelp++;
        return { contents: helpModule, loader: 'js' };
      });
    },
  };
  return { plugin, unused: () => Object.entries(hits).filter(([, n]) => n === 0).map(([name]) => name) };
}

/**
 * oclif's help for every command line help-fast-path.ts answers, rendered by oclif in a process of its
 * own whose terminal is the one the texts are for (a pipe: 80 columns; NO_COLOR), as the module that
 * replaces prerendered-help.ts.
 */
async function prerenderedHelpModule(): Promise<string> {
  const out = join(import.meta.dir, 'dist/.prerendered-help.json');
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  for (const name of ['OCLIF_COLUMNS', 'FORCE_COLOR', 'PEERS_LIFELINE']) delete env[name];
  const r = Bun.spawnSync([process.execPath, join(import.meta.dir, 'render-help.ts'), out], { env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`build.ts: rendering help failed: ${r.stderr.toString()}${r.stdout.toString()}`);
  const help = await Bun.file(out).text();
  rmSync(out);
  return `export function prerenderedHelp() { return JSON.parse(${JSON.stringify(help)}); }\n`;
}

async function compile(target: ReleaseTarget | undefined, outfile: string, manifestModule: string, helpModule: string): Promise<void> {
  const modules = buildTimeModules(manifestModule, helpModule);
  const result = await Bun.build({
    entrypoints: [join(import.meta.dir, 'src/main.ts')],
    target: 'bun',
    format: 'esm',
    bytecode: true,
    splitting: true,
    minify: { syntax: true, whitespace: true },
    plugins: [modules.plugin],
    compile: {
      outfile: join(import.meta.dir, outfile),
      ...(target ? { target: `bun-${target}` as const } : {}),
      autoloadDotenv: false,
      autoloadBunfig: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false,
      jitPolicy: STARTUP_JIT_POLICY,
    },
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`bun build --compile failed for ${target ?? 'host'}`);
  }
  if (modules.unused().length) throw new Error(`build.ts: not replaced in the bundle: ${modules.unused().join(', ')} (did a path change?)`);
  console.log(`compiled ${outfile}`);
}

if (import.meta.main) {
  const release = process.argv.includes('--release');
  mkdirSync(join(import.meta.dir, 'dist'), { recursive: true });
  // The fingerprint of the sources, taken before anything reads them and written once the binary
  // is built: a failed or interrupted build leaves no stamp that vouches for an older binary.
  rmSync(join(import.meta.dir, SOURCE_STAMP_FILE), { force: true });
  const stamp = sourceStamp(import.meta.dir);
  const { commandManifest, embeddedCommandManifest } = await import('./src/cli/command-manifest.ts');
  const { COMMAND_LOADERS } = await import('./commands/index.ts');
  const manifestModule = embeddedCommandManifest(await commandManifest(COMMAND_LOADERS));
  const helpModule = await prerenderedHelpModule();
  await compile(undefined, 'dist/peers', manifestModule, helpModule);
  if (stamp) writeFileSync(join(import.meta.dir, SOURCE_STAMP_FILE), `${stamp}\n`);
  if (release) {
    mkdirSync(join(import.meta.dir, 'dist/release'), { recursive: true });
    for (const target of RELEASE_TARGETS) await compile(target, `dist/release/peers-${target}`, manifestModule, helpModule);
  }
}
