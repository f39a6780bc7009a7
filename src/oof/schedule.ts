/**
 * An honest ETA for fold jobs of very unequal cost (a fine-tuned head's job can take 1,000× a
 * linear head's). Every job starts with an a-priori cost estimate per model (its family's priorSeconds, src/models/family.ts),
 * calibrated so that different trainers' priors agree with each other. As jobs finish, each
 * family's estimates (the models that run one trainer: every `<head>-ft` is one family) are
 * rescaled by the wall time its latest jobs took on their worker; a family with none finished yet
 * borrows the latest jobs' correction of any family, so a uniformly slower machine shows at once.
 * A running job already past its estimate shows that its family is at least that slow, before any
 * of them finishes. The ETA replays the remaining queue on the workers (in the pool's order, from
 * each running job's expected remainder), so it knows that the last long jobs run alone and that
 * 24 quick jobs after one slow job do not finish 24× sooner.
 *
 * A trainer may report how much of its work a running job has done (`progress`, a fraction p).
 * Once p ≥ MEANINGFUL, the job is evidence like a finished one, weighted by p: its elapsed
 * seconds against p of its prior join the family's correction (a job half done counts half), and
 * its remainder is (1 − p) of its full duration, where the full duration mixes its own pace
 * (elapsed / p, p of it observed) with the family's estimate (worth PRIOR_WEIGHT of a job). Jobs
 * that report nothing are estimated from finished jobs as before.
 */
export interface PlannedJob {
  id: string;
  model: string;
  /** models whose jobs run the same trainer, so that one's measured speed predicts the others' */
  family: string;
  /** a-priori seconds */
  prior: number;
}

interface Running {
  job: PlannedJob;
  start: number;
  /** the latest fraction of its work the job reported, and when (milliseconds) */
  progress?: { p: number; at: number };
}

/** A finished job's family, wall seconds and prior seconds. */
interface Finished {
  family: string;
  measured: number;
  prior: number;
}

/** A running job past its estimate is not done: it is given this fraction of its estimate more. */
const OVERRUN_REMAINDER = 0.1;
/** Below this fraction a job's pace is mostly its set-up (loading graphs, the first batch): not yet evidence. */
const MEANINGFUL = 0.05;
/** How much of a job the family's estimate is worth against a running job's own pace (a job 10% done counts as much as the estimate). */
const PRIOR_WEIGHT = 0.1;

export class JobClock {
  private readonly queue: PlannedJob[];
  private readonly running = new Map<string, Running>();
  private readonly done: Finished[] = [];
  /** the last two rounds of the pool set a correction: the machine's load drifts, and the latest jobs ran under today's */
  private readonly recent: number;

  /** `jobs` in the order the pool starts them. */
  constructor(jobs: readonly PlannedJob[], private readonly workers: number) {
    this.queue = [...jobs];
    this.recent = 2 * Math.max(1, workers);
  }

  started(id: string, now: number): void {
    const i = this.queue.findIndex((j) => j.id === id);
    if (i < 0) return;
    const [job] = this.queue.splice(i, 1);
    this.running.set(id, { job, start: now });
  }

  /** The running job `id` has done the fraction `p` (0–1] of its work at `now` (milliseconds). */
  progress(id: string, p: number, now: number): void {
    const r = this.running.get(id);
    if (r && p > 0 && Number.isFinite(p)) r.progress = { p: Math.min(1, p), at: now };
  }

  /** The running job's reported progress, once it is evidence. */
  private pace(r: Running): { p: number; seen: number } | undefined {
    const pr = r.progress;
    return pr && pr.p >= MEANINGFUL ? { p: pr.p, seen: (pr.at - r.start) / 1000 } : undefined;
  }

  /** The job's cost is the wall time it held its worker, start to `now` (milliseconds). */
  finished(id: string, now: number): void {
    const r = this.running.get(id);
    if (!r) return;
    this.running.delete(id);
    this.done.push({ family: r.job.family, measured: (now - r.start) / 1000, prior: r.job.prior });
  }

  /**
   * Σ measured / Σ prior over the latest jobs of `family` (of any family if undefined), or undefined
   * if there are none: the running jobs' work done so far (each counts as p of a job), then the
   * latest finished jobs until two rounds of the pool are counted.
   */
  private recentRatio(family?: string): number | undefined {
    let measured = 0, prior = 0, n = 0;
    for (const r of this.running.values()) {
      const pace = this.pace(r);
      if (!pace || (family !== undefined && r.job.family !== family)) continue;
      measured += pace.seen;
      prior += pace.p * r.job.prior;
      n += pace.p;
    }
    for (let i = this.done.length - 1; i >= 0 && n < this.recent; i--) {
      const f = this.done[i];
      if (family !== undefined && f.family !== family) continue;
      measured += f.measured;
      prior += f.prior;
      n++;
    }
    return prior > 0 ? measured / prior : undefined;
  }

  /** The family's correction from finished jobs: its own, else any family's, else 1. */
  private scale(family: string): number {
    return this.recentRatio(family) ?? this.recentRatio() ?? 1;
  }

  /** The correction at `now`: at least the elapsed / prior of the family's running jobs that report no progress (those that do are in the ratio). */
  private scaleNow(family: string, now: number): number {
    let s = this.scale(family);
    for (const r of this.running.values()) if (r.job.family === family && r.job.prior > 0 && !this.pace(r)) s = Math.max(s, (now - r.start) / 1000 / r.job.prior);
    return s;
  }

  /** Seconds the running job still needs: from its reported progress, else its estimate less its elapsed time (never less than a tenth of the estimate). */
  private remainder(r: Running, now: number): number {
    const est = r.job.prior * this.scaleNow(r.job.family, now);
    const elapsed = (now - r.start) / 1000;
    const pace = this.pace(r);
    if (!pace) return Math.max(est - elapsed, OVERRUN_REMAINDER * est);
    const full = (pace.seen + PRIOR_WEIGHT * est) / (pace.p + PRIOR_WEIGHT);
    return Math.max(0, full * (1 - pace.p) - (elapsed - pace.seen));
  }

  /** Seconds a job is expected to take in all, from finished jobs. */
  estimate(job: Pick<PlannedJob, "family" | "prior">): number {
    return job.prior * this.scale(job.family);
  }

  /** Seconds until every job is done: running jobs finish their remainder, then each queued job goes to the next free worker. */
  eta(now: number): number {
    const free = [...this.running.values()].map((r) => this.remainder(r, now));
    while (free.length < this.workers) free.push(0);
    for (const j of this.queue) {
      free.sort((a, b) => a - b);
      free[0] += j.prior * this.scaleNow(j.family, now);
    }
    return Math.max(0, ...free);
  }

  /** Running jobs far past their estimate (over 2× and over 30 s more), for the progress line. */
  overdue(now: number): { id: string; elapsed: number; estimate: number }[] {
    return [...this.running.entries()]
      .map(([id, r]) => ({ id, elapsed: (now - r.start) / 1000, estimate: this.estimate(r.job) }))
      .filter((o) => o.elapsed > 2 * o.estimate && o.elapsed - o.estimate > 30);
  }
}
