/**
 * Makes this process non-dumpable (`prctl(PR_SET_DUMPABLE, 0)`): a process of the same user can
 * then no longer `ptrace` it, nor open its `/proc/PID/mem`, `environ` or `fd` (the kernel asks for
 * CAP_SYS_PTRACE, which no container of the pod has). Every process of a pod container runs as one
 * user and podman's seccomp profile allows `ptrace`, so without this the peers' code (a peer's
 * leftover process, a gate's test suite) could read and rewrite the runner that reports to the
 * loop (SECURITY.md, "The sandbox pod"). Children are not affected: `exec` makes a process
 * dumpable again, so the peers' tools (debuggers included) work as before.
 */
import { dlopen, FFIType } from 'bun:ffi';

const PR_SET_DUMPABLE = 4;
const PR_GET_DUMPABLE = 3;

/** Throws when the process could not be made non-dumpable (no glibc `prctl`, or the call failed). */
export function becomeNonDumpable(): void {
  const libc = dlopen('libc.so.6', { prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 } });
  try {
    if (libc.symbols.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) !== 0 || libc.symbols.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) !== 0) {
      throw new Error('prctl(PR_SET_DUMPABLE, 0) failed');
    }
  } finally {
    libc.close();
  }
}
