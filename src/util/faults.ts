/**
 * Fault injection for the kill-and-resume tests: with POOLBLEND_FAULT=name (or name#k for the
 * k-th time that point is reached) the process SIGKILLs itself there — no cleanup, no flush,
 * exactly like `kill -9`. Without the variable a checkpoint costs one comparison.
 */
const spec = process.env.POOLBLEND_FAULT;
const [target, nth] = spec ? [spec.split("#")[0], Number(spec.split("#")[1] ?? 1)] : ["", 0];
let hits = 0;

export function checkpoint(name: string): void {
  if (!spec || name !== target) return;
  hits++;
  if (hits === nth) process.kill(process.pid, "SIGKILL");
}
