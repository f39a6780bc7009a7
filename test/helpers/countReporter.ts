/** Prints the plain closing line `N passed, N failed` (with skipped) that CI reads. */
import type { Reporter, File, Task } from "vitest";

function count(tasks: readonly Task[], acc: { passed: number; failed: number; skipped: number }): void {
  for (const t of tasks) {
    if (t.type === "suite") count(t.tasks, acc);
    else if (t.result?.state === "pass") acc.passed++;
    else if (t.result?.state === "fail") acc.failed++;
    else acc.skipped++;
  }
}

export default class CountReporter implements Reporter {
  onFinished(files: File[] = []): void {
    const acc = { passed: 0, failed: 0, skipped: 0 };
    count(files, acc);
    process.stdout.write(`\n${acc.passed} passed, ${acc.failed} failed, ${acc.skipped} skipped\n`);
  }
}
