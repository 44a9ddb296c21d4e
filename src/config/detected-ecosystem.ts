/**
 * What each ecosystem's detector of `peers init` (detect-project.ts) sees and returns: the
 * project's files, the gates it proposes, and one ecosystem's findings before they are merged.
 */

/** What makes a toolchain the image lacks available to the gates (the image's PATH extends its base's, Containerfile). */
export const imageFix = (program: string): string =>
  `build the image on a Debian bookworm base that has ${program} on its PATH (\`peers image build --force --base IMAGE\`); \`peers doctor\` checks`;

export type ProjectFiles = {
  /** Text of a regular file (relative path), undefined when absent, not regular, or too large. */
  read(rel: string): string | undefined;
  exists(rel: string): boolean;
  /** Names in a directory (relative path; '' is the top), [] when absent. */
  list(rel: string): string[];
};

export type ProposedGate = { id: string; description: string; cmd: string; pass_when: string; timeout_s: number; cacheable?: boolean; why: string };

/** One ecosystem's findings (detect-node.ts, detect-python.ts, detect-rust-go-make.ts), merged by detect-project.ts. */
export type Found = {
  kind: string;
  tests?: Omit<ProposedGate, 'id'>;
  extra: ProposedGate[];
  setup?: string;
  egress: string[];
  notes: string[];
  /** Why no test gate was proposed here: said only when no package below proposes one either. */
  noTests?: string;
  /** A package.json naming workspaces (or a pnpm-workspace.yaml): its install covers its packages. */
  workspaceRoot?: boolean;
};

export const TEST_TIMEOUT_S = 600;
