/**
 * The Kubernetes names and labels of one project's run. A project key (`My_App-1a2b3c4d`, see
 * src/state/paths.ts) may hold characters and lengths Kubernetes refuses, so it is folded into a
 * DNS label that keeps the key's hash suffix: two projects never share names, and every name
 * below stays within 63 characters.
 */
import { createHash } from 'node:crypto';

/** Labels every object of a peers run carries (selectors for `ls --target k8s`, `down`, policies). */
export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_PROJECT = 'peers.dev/project';
/** Which of the run's Pods: `run` (the pod members), or the role of a container with its own Pod. */
export const LABEL_POD = 'peers.dev/pod';
export const RUN_POD_KIND = 'run';
/** Annotations: the project key and the repository it was started from (a path on the user's machine). */
export const ANNOTATION_KEY = 'peers.dev/project-key';
export const ANNOTATION_REPO = 'peers.dev/repository';
export const ANNOTATION_STARTED_BY = 'peers.dev/started-by';

export type K8sNames = {
  /** The folded project key: the value of LABEL_PROJECT. */
  project: string;
  /** The namespace peers creates when none is given. */
  defaultNamespace: string;
  /** A Pod by its LABEL_POD value (`run`, `gates`, `egress`, …). */
  pod: (kind: string) => string;
  stateClaim: string;
  socketsClaim: string;
  /** The claim of a named podman volume of the spec (e.g. the gates' dependency cache). */
  volumeClaim: (volume: string) => string;
  credentials: string;
  /** The runners' per-run keys (sandbox/runner-key.ts): each Pod's init container and the loop read it. */
  runnerKeys: string;
  control: string;
  isolatePolicy: string;
  egressPolicy: string;
};

const BASE_MAX = 40;

/** `peers-` + the folded key: lowercase, [a-z0-9-], the hash kept, at most 46 characters. */
export function k8sProject(projectKey: string): string {
  const m = /^(.*)-([0-9a-f]{8})$/.exec(projectKey);
  const hash = m ? m[2]! : createHash('sha256').update(projectKey).digest('hex').slice(0, 8);
  const stem = fold(m ? m[1]! : projectKey, BASE_MAX - 9);
  return stem ? `${stem}-${hash}` : hash;
}

/** Lowercase, runs of anything but [a-z0-9] as one '-', no '-' at either end, at most `max`. */
function fold(s: string, max: number): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+/, '').slice(0, max).replace(/-+$/, '');
}

export function k8sNames(projectKey: string): K8sNames {
  const p = k8sProject(projectKey);
  const base = `peers-${p}`;
  return {
    project: p,
    defaultNamespace: base,
    pod: (kind) => (kind === RUN_POD_KIND ? base : `${base}-${kind}`),
    stateClaim: `${base}-state`,
    socketsClaim: `${base}-sockets`,
    // The spec names volumes `peers-<key>-<what>`; the claim keeps <what> after the folded prefix.
    volumeClaim: (volume) => `${base}-${fold(volume.startsWith(`peers-${projectKey}-`) ? volume.slice(`peers-${projectKey}-`.length) : volume, 16)}`,
    credentials: `${base}-credentials`,
    runnerKeys: `${base}-runner-keys`,
    control: `${base}-control`,
    isolatePolicy: `${base}-isolate`,
    egressPolicy: `${base}-egress-out`,
  };
}

/** The labels of a peers object of this project (and of a Pod, with its kind). */
export function projectLabels(names: K8sNames, pod?: string): Record<string, string> {
  return { [LABEL_NAME]: 'peers', [LABEL_MANAGED_BY]: 'peers', [LABEL_PROJECT]: names.project, ...(pod ? { [LABEL_POD]: pod } : {}) };
}

/** The label selector of every object of a project (`down`, `status`). */
export function projectSelector(names: K8sNames): string {
  return `${LABEL_MANAGED_BY}=peers,${LABEL_PROJECT}=${names.project}`;
}

/** The selector of every run Pod in a cluster (`ls --target k8s`). */
export const RUN_POD_SELECTOR = `${LABEL_MANAGED_BY}=peers,${LABEL_POD}=${RUN_POD_KIND}`;
