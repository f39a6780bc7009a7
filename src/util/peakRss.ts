/**
 * This process's peak resident set size in MB. Linux's getrusage (process.resourceUsage().maxRSS)
 * carries the parent's peak across fork and exec, so a child started by a large process (the
 * benchmark, a test runner) reports at least its parent's peak; /proc/self/status VmHWM is the
 * high-water mark of this process's own memory, reset at exec. Elsewhere, getrusage it is.
 */
import { readFileSync } from "node:fs";

export function peakRssMB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}
