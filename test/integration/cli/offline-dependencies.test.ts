/**
 * Go and Rust projects with a dependency, as `peers init` sets them up, judged by the real `go` and
 * `cargo`: the gates run with a fresh HOME and no network (in the pod they have none), so the
 * dependencies must be where the gate's build looks without a download. "No network" here is
 * `GOPROXY=off` / `CARGO_NET_OFFLINE=true` for every process, and only `setup` is given the
 * registry (a module proxy on disk, a git repository), as in a run only setup reaches it through
 * the egress proxy.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { requires } from '../../requirements.ts';
import { gitIn, makeRepo, makeSandbox, runPeers } from './peers-cli.ts';

/** Skipped, with the reason printed, where go is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('go');
/**
 * cargo is not among the Debian packages test/setup.sh installs (the toolchain is hundreds of MB
 * for two tests); where it is installed (rustup), the Rust half runs.
 */
const cargo = Bun.which('cargo');

const sb = makeSandbox();
afterAll(() => sb.cleanup());
const proxy = join(sb.root, 'goproxy');
// No network for anything but what is given the proxy; the go of this machine, never a download of another.
const env: Record<string, string> = { ...sb.env, GOPROXY: 'off', GOSUMDB: 'off', GOTOOLCHAIN: 'local', GOFLAGS: '' };

function go(args: string[], cwd: string, extra: Record<string, string> = {}): string {
  const r = spawnSync('go', args, { cwd, env: { ...env, HOME: sb.home, GOMODCACHE: join(sb.root, 'modcache'), GOCACHE: join(sb.root, 'gocache'), ...extra }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`go ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** example.com/greet v1.0.0 in a module proxy on disk: its list, .info, .mod and .zip (made by go's archive/zip). */
function publishModule(): void {
  const src = join(sb.root, 'greet-src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'go.mod'), 'module example.com/greet\n\ngo 1.19\n');
  writeFileSync(join(src, 'greet.go'), 'package greet\n\nfunc Hello(name string) string { return "hello, " + name }\n');
  const at = join(proxy, 'example.com/greet/@v');
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'list'), 'v1.0.0\n');
  writeFileSync(join(at, 'v1.0.0.info'), '{"Version":"v1.0.0","Time":"2026-01-01T00:00:00Z"}\n');
  writeFileSync(join(at, 'v1.0.0.mod'), readFileSync(join(src, 'go.mod')));
  const zipper = join(sb.root, 'zipper');
  mkdirSync(zipper);
  writeFileSync(join(zipper, 'go.mod'), 'module zipper\n\ngo 1.19\n');
  writeFileSync(
    join(zipper, 'main.go'),
    `package main

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
)

// zip OUT SRC PREFIX: every file of SRC under PREFIX/, as a module zip is laid out.
func main() {
	out, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	w := zip.NewWriter(out)
	err = filepath.Walk(os.Args[2], func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(os.Args[2], p)
		f, err := w.Create(os.Args[3] + "/" + filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		_, err = io.Copy(f, in)
		return err
	})
	if err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
}
`,
  );
  go(['run', '.', join(at, 'v1.0.0.zip'), src, 'example.com/greet@v1.0.0'], zipper);
}

let repo = '';

beforeAll(() => {
  if (!need.ok) return;
  publishModule();
  repo = makeRepo(sb.root, 'app', { commits: 0 });
  writeFileSync(join(repo, 'go.mod'), 'module example.com/app\n\ngo 1.19\n\nrequire example.com/greet v1.0.0\n');
  writeFileSync(join(repo, 'app.go'), 'package app\n\nimport "example.com/greet"\n\nfunc Welcome() string { return greet.Hello("world") }\n');
  writeFileSync(join(repo, 'app_test.go'), 'package app\n\nimport "testing"\n\nfunc TestWelcome(t *testing.T) {\n\tif Welcome() != "hello, world" {\n\t\tt.Fatal(Welcome())\n\t}\n}\n');
  // go.sum as the developer's machine wrote it (with the registry).
  go(['mod', 'download', 'example.com/greet'], repo, { GOPROXY: `file://${proxy}` });
  go(['mod', 'tidy'], repo, { GOPROXY: `file://${proxy}` });
  gitIn(repo, ['add', '-A']);
  gitIn(repo, ['commit', '-q', '-m', 'app with a module dependency']);
}, 120_000);

/** The config init wrote, with setup (only) given the registry. */
function setupWithRegistry(repo: string, setup: string, registry: string): void {
  const path = join(repo, '.peers/config.yaml');
  const config = parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  config.setup = `${registry} ${setup}`;
  writeFileSync(path, stringify(config));
}
const setupOf = (repo: string) => (parse(readFileSync(join(repo, '.peers/config.yaml'), 'utf8')) as { setup?: string }).setup;

describe.skipIf(!need.ok)('a Go project with a module dependency', () => {
  test("init's setup puts the modules where the network-less gates find them: the suite is green", () => {
    const init = runPeers(['init'], { cwd: repo, env });
    expect(init.code, init.stderr).toBe(0);
    const setup = setupOf(repo);
    expect(setup).toBe('go mod vendor');
    setupWithRegistry(repo, setup!, `GOPROXY=file://${proxy}`);
    const green = runPeers(['verify', '-C', repo], { cwd: repo, env });
    expect(green.stdout).toMatch(/hard +tests-pass +pass /);
    expect(green.code, green.stdout + green.stderr).toBe(0);
    // Nothing of the setup is in the user's tree: it ran in the gates' checkout.
    expect(gitIn(repo, ['status', '--porcelain', '--untracked-files=all']).split('\n').filter((l) => !l.includes('.peers/') && !l.includes('.gitignore') && l)).toEqual([]);
  }, 180_000);

  test('a download into a module cache (the earlier setup) leaves the gates without the modules: red, and verify says why', () => {
    setupWithRegistry(repo, 'go mod download', `GOPROXY=file://${proxy}`);
    const red = runPeers(['verify', '-C', repo], { cwd: repo, env });
    expect(red.code).toBe(1);
    expect(red.stdout).toMatch(/hard +tests-pass +FAIL /);
    expect(red.stdout).toContain('module lookup disabled by GOPROXY=off');
  }, 180_000);
});

describe.skipIf(!cargo)('a Rust project with a crate dependency', () => {
  // The toolchain of this machine (rustup's shims find it by RUSTUP_HOME); no CARGO_HOME, as in
  // the pod: each gate's cargo gets the fresh HOME's.
  const rustEnv: Record<string, string> = { ...env, CARGO_NET_OFFLINE: 'true', RUSTUP_HOME: process.env.RUSTUP_HOME ?? join(process.env.HOME ?? '/root', '.rustup'), PATH: process.env.PATH ?? '/usr/bin:/bin' };
  let crate = '';

  beforeAll(() => {
    // The dependency: a crate in a git repository, fetched by cargo like any registry's.
    const dep = makeRepo(sb.root, 'greet-rs', { commits: 0 });
    writeFileSync(join(dep, 'Cargo.toml'), '[package]\nname = "greet"\nversion = "0.1.0"\nedition = "2021"\n');
    mkdirSync(join(dep, 'src'));
    writeFileSync(join(dep, 'src/lib.rs'), 'pub fn hello(name: &str) -> String { format!("hello, {name}") }\n');
    gitIn(dep, ['add', '-A']);
    gitIn(dep, ['commit', '-q', '-m', 'greet']);
    crate = makeRepo(sb.root, 'app-rs', { commits: 0 });
    writeFileSync(join(crate, 'Cargo.toml'), `[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\ngreet = { git = "file://${dep}" }\n`);
    mkdirSync(join(crate, 'src'));
    writeFileSync(join(crate, 'src/lib.rs'), 'pub fn welcome() -> String { greet::hello("world") }\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn welcomes() { assert_eq!(super::welcome(), "hello, world"); }\n}\n');
    // Cargo.lock as the developer's machine wrote it (with the registry).
    const lock = spawnSync('cargo', ['generate-lockfile'], { cwd: crate, env: { ...rustEnv, CARGO_NET_OFFLINE: 'false', CARGO_HOME: join(sb.root, 'dev-cargo-home') }, encoding: 'utf8' });
    if (lock.status !== 0) throw new Error(`cargo generate-lockfile: ${lock.stderr}`);
    gitIn(crate, ['add', '-A']);
    gitIn(crate, ['commit', '-q', '-m', 'app with a crate dependency']);
  }, 120_000);

  test("init's setup vendors the crates into the checkout and points cargo at them: the suite is green", () => {
    const init = runPeers(['init'], { cwd: crate, env: rustEnv });
    expect(init.code, init.stderr).toBe(0);
    const setup = setupOf(crate);
    expect(setup).toBe('mkdir -p .cargo && cargo vendor --locked .peers-vendor >> .cargo/config.toml');
    setupWithRegistry(crate, setup!, 'export CARGO_NET_OFFLINE=false &&');
    const green = runPeers(['verify', '-C', crate], { cwd: crate, env: rustEnv });
    expect(green.stdout).toMatch(/hard +rust-tests-pass +pass |hard +tests-pass +pass /);
    expect(green.code, green.stdout + green.stderr).toBe(0);
  }, 300_000);

  test("a project that commits its .cargo/config.toml: setup points cargo at the crates in a file of its own (the gates read the committed one as committed): green", () => {
    const app = makeRepo(sb.root, 'app-rs-config', { commits: 0 });
    for (const f of ['Cargo.toml', 'Cargo.lock', 'src/lib.rs']) {
      mkdirSync(join(app, f, '..'), { recursive: true });
      writeFileSync(join(app, f), readFileSync(join(crate, f)));
    }
    mkdirSync(join(app, '.cargo'));
    writeFileSync(join(app, '.cargo/config.toml'), '[net]\nretry = 1\n');
    gitIn(app, ['add', '-A']);
    gitIn(app, ['commit', '-q', '-m', 'app with its cargo config']);
    expect(runPeers(['init'], { cwd: app, env: rustEnv }).code).toBe(0);
    const setup = setupOf(app);
    expect(setup).toBe('cp .cargo/config.toml .cargo/config && cargo vendor --locked .peers-vendor >> .cargo/config');
    setupWithRegistry(app, setup!, 'export CARGO_NET_OFFLINE=false &&');
    const green = runPeers(['verify', '-C', app], { cwd: app, env: rustEnv });
    expect(green.code, green.stdout + green.stderr).toBe(0);
  }, 300_000);

  test('a fetch into a CARGO_HOME (the earlier setup) leaves the gates without the crates: red', () => {
    setupWithRegistry(crate, 'cargo fetch --locked', 'export CARGO_NET_OFFLINE=false &&');
    const red = runPeers(['verify', '-C', crate], { cwd: crate, env: rustEnv });
    expect(red.code).toBe(1);
    expect(red.stdout).toMatch(/tests-pass +FAIL /);
    expect(red.stdout).toContain('offline');
  }, 300_000);
});
