/**
 * The only way `peers doctor` touches the machine: run a command with a timeout, look a program
 * up on PATH, read a small file. Kept behind one small interface so the checks stay readable.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { podmanEnv } from '../../sandbox/podman.ts';

export type RunResult = { code: number | null; stdout: string; stderr: string; error?: string };

export type HostProbe = {
  env: Record<string, string | undefined>;
  which(program: string): string | undefined;
  run(argv: string[], timeoutMs?: number): RunResult;
  readText(path: string): string | undefined;
  exists(path: string): boolean;
  isCharDevice(path: string): boolean;
  canReadWrite(path: string): boolean;
  uid: number;
  user: string;
  /** Each vendor host of the registered projects, and why it does not resolve here (null: it does); absent: not looked up (vendor-hosts-check.ts). */
  vendorLookups?: ReadonlyMap<string, string | null>;
};

/**
 * The environment a probe runs `argv` in: podman's as every podman of peers runs (sandbox/podman.ts,
 * podmanEnv: its conmon takes a log path outside ASCII only in a UTF-8 locale, and a HOME like
 * /home/josé puts every container's log there), anything else the probe's own.
 */
export function probeEnv(argv: readonly string[], env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return argv[0] === 'podman' ? podmanEnv(env as NodeJS.ProcessEnv) : (env as NodeJS.ProcessEnv);
}

export function realHostProbe(env: Record<string, string | undefined> = process.env): HostProbe {
  const which = (program: string): string | undefined => {
    for (const dir of (env.PATH ?? '').split(delimiter)) {
      if (!dir) continue;
      const candidate = join(dir, program);
      try {
        accessSync(candidate, constants.X_OK);
        if (statSync(candidate).isFile()) return candidate;
      } catch {}
    }
    return undefined;
  };
  const uid = process.getuid?.() ?? -1;
  return {
    env,
    which,
    run(argv, timeoutMs = 15_000) {
      const program = which(argv[0]!) ?? argv[0]!;
      const res = spawnSync(program, argv.slice(1), { env: probeEnv(argv, env), encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
      return { code: res.status, stdout: res.stdout ?? '', stderr: res.stderr ?? '', ...(res.error ? { error: res.error.message } : {}) };
    },
    readText(path) {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
    exists(path) {
      try {
        statSync(path);
        return true;
      } catch {
        return false;
      }
    },
    isCharDevice(path) {
      try {
        return statSync(path).isCharacterDevice();
      } catch {
        return false;
      }
    },
    canReadWrite(path) {
      try {
        accessSync(path, constants.R_OK | constants.W_OK);
        return true;
      } catch {
        return false;
      }
    },
    uid,
    user: userNameOf(uid, (() => {
      try {
        return readFileSync('/etc/passwd', 'utf8');
      } catch {
        return undefined;
      }
    })(), () => {
      try {
        return userInfo().username;
      } catch {
        return env.USER || String(uid);
      }
    }),
  };
}

/**
 * The account name of `uid`, from /etc/passwd first: Bun's os.userInfo() takes the name from $USER
 * and says "unknown" without it (cron, systemd units, `env -i`), and /etc/subuid is keyed by name.
 */
export function userNameOf(uid: number, passwd: string | undefined, fallback: () => string): string {
  for (const line of (passwd ?? '').split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id === String(uid)) return name;
  }
  return fallback();
}
