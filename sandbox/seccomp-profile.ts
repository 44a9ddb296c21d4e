/**
 * The pod's seccomp profile: podman's own default profile (the one `podman info` names), with user
 * namespace creation taken away (docs/ARCHITECTURE.md, "Container hardening").
 *
 * A new user namespace gives its creator every capability inside it, and with it the kernel's
 * namespaced attack surface (mount, netfilter, overlayfs, ...) that `--cap-drop=ALL` otherwise
 * closes; podman's default profile allows `unshare`, `clone` and `clone3` unconditionally so that
 * nested containers work. Here every rule naming those three is removed and replaced by:
 *   unshare(flags) / clone(flags, ...)   allowed unless CLONE_NEWUSER is set; EPERM when it is
 *   clone3(struct *)                     ENOSYS: its flags sit in memory seccomp cannot read, and
 *                                        libc falls back to clone() on ENOSYS (threads, fork, spawn)
 * Everything else stays exactly as podman ships it, so the host's profile keeps its knowledge of
 * new syscalls. Pure: `up` reads the host profile and writes the result (sandbox/up.ts).
 */
import { z } from 'zod';

export const CLONE_NEWUSER = 0x10000000;
const EPERM = 1;
const ENOSYS = 38;
const REPLACED = new Set(['unshare', 'clone', 'clone3']);
/** s390 passes clone()'s flags as the second argument; every other architecture as the first. */
const FLAGS_SECOND = ['s390', 's390x'];

const Rule = z.looseObject({ names: z.array(z.string()).min(1), action: z.string() });
const Profile = z.looseObject({ defaultAction: z.string(), syscalls: z.array(Rule) });
export type SeccompRule = z.infer<typeof Rule>;
export type SeccompProfile = z.infer<typeof Profile>;

export class SeccompProfileError extends Error {
  constructor(reason: string) {
    super(`podman's seccomp profile cannot be used: ${reason}`);
    this.name = 'SeccompProfileError';
  }
}

const withUserNs = (index: number, newUser: boolean) => [{ index, value: CLONE_NEWUSER, valueTwo: newUser ? CLONE_NEWUSER : 0, op: 'SCMP_CMP_MASKED_EQ' }];
const COMMENT = 'peers: no new user namespaces (docs/ARCHITECTURE.md)';

/** The rules that take the place of every rule podman had for unshare, clone and clone3. */
export function userNamespaceRules(): SeccompRule[] {
  const pair = (name: string, index: number, arches: Record<string, unknown>): SeccompRule[] => [
    { names: [name], action: 'SCMP_ACT_ALLOW', args: withUserNs(index, false), comment: COMMENT, ...arches },
    { names: [name], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: withUserNs(index, true), comment: COMMENT, ...arches },
  ];
  return [
    ...pair('unshare', 0, {}),
    ...pair('clone', 0, { excludes: { arches: FLAGS_SECOND } }),
    ...pair('clone', 1, { includes: { arches: FLAGS_SECOND } }),
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, args: [], comment: COMMENT },
  ];
}

/** `profile` (parsed JSON) without any way to create a user namespace. Throws SeccompProfileError. */
export function withoutUserNamespaces(profile: unknown): SeccompProfile {
  const parsed = Profile.safeParse(profile);
  if (!parsed.success) throw new SeccompProfileError(`unexpected shape (${parsed.error.issues[0]?.path.join('.') || 'top level'}: ${parsed.error.issues[0]?.message})`);
  const p = parsed.data;
  // A permissive default would allow whatever we removed: refuse to build on one.
  if (p.defaultAction === 'SCMP_ACT_ALLOW' || p.defaultAction === 'SCMP_ACT_LOG') throw new SeccompProfileError(`its default action is ${p.defaultAction}, not a refusal`);
  const kept = p.syscalls.flatMap((rule): SeccompRule[] => {
    const names = rule.names.filter((n) => !REPLACED.has(n));
    return names.length ? [{ ...rule, names }] : [];
  });
  return { ...p, syscalls: [...kept, ...userNamespaceRules()] };
}
