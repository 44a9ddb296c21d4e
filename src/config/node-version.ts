/**
 * The Node.js a project asks for, against the workspace image's: Debian bookworm's nodejs is 18
 * (Containerfile), and a project that needs 20 or newer (`[].toSorted`, `node --test` globs, a Vite
 * or ESLint that requires it) passes `peers verify` on a newer host Node and fails every gate in a
 * run. `peers init` says so, as it does for a Python newer than the image's (python-tool.ts).
 */
import type { ProjectFiles } from './detected-ecosystem.ts';

export const IMAGE_NODE_MAJOR = 18;

/** nvm's LTS codenames, for `.nvmrc` files that name one. `lts/*` and `node` move: not read. */
const LTS_CODENAMES: Record<string, number> = { hydrogen: 18, iron: 20, jod: 22, krypton: 24 };

/**
 * The lowest major a semver range accepts (`>=20`, `^20.11.0 || >=22`, `18.x`); undefined when some
 * alternative has no lower bound (`*`, `<22`) or nothing can be read.
 */
export function lowestMajor(range: string): number | undefined {
  const majors = range.split('||').map((alt) => {
    const m = /^\s*(?:>=|>|\^|~|=)?\s*v?(\d+)/.exec(alt);
    return m ? Number(m[1]) : undefined;
  });
  if (!majors.length || majors.some((m) => m === undefined)) return undefined;
  return Math.min(...(majors as number[]));
}

/** `.nvmrc`/`.node-version` text to a major: `20`, `v22.3.0`, `lts/iron`. */
function pinnedMajor(text: string): number | undefined {
  const v = text.trim().split('\n')[0]!.trim().toLowerCase();
  const lts = /^lts\/([a-z]+)$/.exec(v)?.[1];
  if (lts) return LTS_CODENAMES[lts];
  const m = /^v?(\d+)(?:\.\d+){0,2}$/.exec(v);
  return m ? Number(m[1]) : undefined;
}

/**
 * What the project asks for and where it says so: `engines.node` first (the lowest Node it
 * supports), else the version file its developers pin.
 */
export function requiredNode(engines: unknown, files: ProjectFiles): { major: number; source: string } | undefined {
  if (typeof engines === 'string') {
    const major = lowestMajor(engines);
    return major === undefined ? undefined : { major, source: `package.json engines.node (${engines})` };
  }
  for (const file of ['.nvmrc', '.node-version']) {
    const text = files.read(file);
    if (text === undefined) continue;
    const major = pinnedMajor(text);
    return major === undefined ? undefined : { major, source: `${file} (${text.trim().split('\n')[0]!.trim()})` };
  }
  return undefined;
}

/** init's note for a project that needs a newer Node than the image's; undefined otherwise. */
export function newerNodeNote(engines: unknown, files: ProjectFiles): string | undefined {
  const need = requiredNode(engines, files);
  if (!need || need.major <= IMAGE_NODE_MAJOR) return undefined;
  return `${need.source} asks for Node.js ${need.major} or newer, and the workspace image has Node.js ${IMAGE_NODE_MAJOR} (Debian bookworm's): the gates may fail in a run although \`peers verify\` passes on this machine; build the image on a Debian bookworm base that has node ${need.major} or newer on its PATH (\`peers image build --force --base IMAGE\`, e.g. node:${need.major}-bookworm)`;
}
