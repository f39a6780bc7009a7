/**
 * An honest ETA for fold jobs of very unequal cost (a fine-tuned head's job can take 1,000× a
 * linear head's). Every job starts with an a-priori cost estimate per model; as jobs finish,
 * each model's estimates are rescaled by what its own jobs really took (models with no finished
 * job yet borrow the median correction of the others). The ETA replays the remaining queue on
 * the workers (longest-queued first, as the pool runs it), so it knows that 24 quick jobs after
 * one slow job do not finish 24× sooner.
 */
export interface PlannedJob {
  id: string;
  model: string;
  /** a-priori seconds */
  prior: number;
}

interface Running {
  model: string;
  start: number;
  prior: number;
}

export class JobClock {
  private readonly queue: PlannedJob[];
  private readonly running = new Map<string, Running>();
  /** per model: Σ measured seconds and Σ prior seconds of its finished jobs */
  private readonly seen = new Map<string, { measured: number; prior: number }>();

  constructor(jobs: readonly PlannedJob[], private readonly workers: number) {
    this.queue = [...jobs];
  }

  started(id: string, now: number): void {
    const i = this.queue.findIndex((j) => j.id === id);
    if (i < 0) return;
    const [j] = this.queue.splice(i, 1);
    this.running.set(id, { model: j.model, start: now, prior: j.prior });
  }

  finished(id: string, seconds: number): void {
    const r = this.running.get(id);
    if (!r) return;
    this.running.delete(id);
    const s = this.seen.get(r.model) ?? { measured: 0, prior: 0 };
    this.seen.set(r.model, { measured: s.measured + seconds, prior: s.prior + r.prior });
  }

  /** measured / prior for this model, else the median over models with finished jobs, else 1 */
  private scale(model: string): number {
    const own = this.seen.get(model);
    if (own && own.prior > 0) return own.measured / own.prior;
    const all = [...this.seen.values()].filter((s) => s.prior > 0).map((s) => s.measured / s.prior).sort((a, b) => a - b);
    return all.length ? all[Math.floor(all.length / 2)] : 1;
  }

  /** Seconds a job is expected to take in all. */
  estimate(model: string, prior: number): number {
    return prior * this.scale(model);
  }

  /** Seconds until every job is done: running jobs finish their estimate (at least 1 s more), then the queue goes to the next free worker. */
  eta(now: number): number {
    const free = [...this.running.values()].map((r) => Math.max(1, this.estimate(r.model, r.prior) - (now - r.start) / 1000));
    while (free.length < this.workers) free.push(0);
    for (const j of this.queue) {
      free.sort((a, b) => a - b);
      free[0] += this.estimate(j.model, j.prior);
    }
    return Math.max(0, ...free);
  }

  /** Running jobs far past their estimate (over 2× and over 30 s more), for the progress line. */
  overdue(now: number): { id: string; elapsed: number; estimate: number }[] {
    return [...this.running.entries()]
      .map(([id, r]) => ({ id, elapsed: (now - r.start) / 1000, estimate: this.estimate(r.model, r.prior) }))
      .filter((o) => o.elapsed > 2 * o.estimate && o.elapsed - o.estimate > 30);
  }
}
