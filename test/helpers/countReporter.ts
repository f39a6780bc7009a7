/**
 * The closing lines: every skipped test with the reason it gave (test/helpers/skips.ts), then the
 * plain line `N passed, N failed, N skipped` that CI reads — always last. A test that never ran
 * because its file or its suite's set-up failed counts as failed, not skipped. Under CI (CI=true)
 * any skip that is not an explicit opt-in makes the exit code non-zero.
 */
import type { Reporter, File, Task } from "vitest";
import type { Vitest } from "vitest/node";
import { OPT_IN, inCi } from "./skips.js";

interface Tally {
  passed: number;
  failed: number;
  skipped: { name: string; reason: string }[];
}

const failedSelf = (t: Task): boolean => t.result?.state === "fail";
/** `ctx.skip(note)` stores the note on the result (vitest's TaskResult type leaves it out) */
const noteOf = (t: Task): string | undefined => (t.result as { note?: string } | undefined)?.note;

function count(tasks: readonly Task[], path: string[], brokenAbove: boolean, acc: Tally, unnoted: string): void {
  for (const t of tasks) {
    if (t.type === "suite") count(t.tasks, [...path, t.name], brokenAbove || failedSelf(t), acc, unnoted);
    else if (t.result?.state === "pass") acc.passed++;
    // skipped without a note of its own under a failed suite or file: its set-up failed
    else if (t.result?.state === "fail" || (brokenAbove && noteOf(t) === undefined)) acc.failed++;
    else acc.skipped.push({ name: [...path, t.name].join(" › "), reason: noteOf(t) ?? (t.mode === "todo" ? "todo" : unnoted) });
  }
}

const UNSELECTED = "no reason given, or not selected by -t";

export default class CountReporter implements Reporter {
  private filtered = false;

  onInit(vitest: Vitest): void {
    this.filtered = vitest.config.testNamePattern !== undefined;
  }

  onFinished(files: File[] = []): void {
    const acc: Tally = { passed: 0, failed: 0, skipped: [] };
    for (const f of files) {
      // a file that failed to load has no tests to count: it is one failure
      if (failedSelf(f) && f.tasks.length === 0) acc.failed++;
      count(f.tasks, [f.name], failedSelf(f), acc, this.filtered ? UNSELECTED : "no reason given");
    }
    const lines: string[] = [];
    // a -t run leaves out most tests: one line for them, not one each
    const listed = acc.skipped.filter((s) => s.reason !== UNSELECTED), unselected = acc.skipped.length - listed.length;
    if (listed.length) lines.push("", "skipped:", ...listed.map((s) => `  ${s.name} — ${s.reason}`));
    if (unselected) lines.push(`${unselected} test(s) without a reason, or not selected by -t`);
    const forced = acc.skipped.filter((s) => !s.reason.startsWith(OPT_IN));
    if (inCi() && forced.length) {
      lines.push(`CI: ${forced.length} skipped test(s) above are not opt-ins; failing the run`);
      process.exitCode = 1;
    }
    process.stdout.write(`${lines.join("\n")}\n${acc.passed} passed, ${acc.failed} failed, ${acc.skipped.length} skipped\n`);
  }
}
