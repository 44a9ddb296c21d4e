/**
 * Whether a process still runs, from /proc: a pid that is gone, a zombie waiting for its reaper
 * (Z) or one being torn down (X) has stopped running. A killed process leaves /proc
 * asynchronously, so a test waits for this (test/wait-for.ts) rather than reading it once.
 */
import { readFileSync } from 'node:fs';

export function isRunning(pid: number | string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}
