/**
 * The coordinator's side of the queue: puts a run's missing feature chunks or fold jobs on it, sees them start, and
 * takes each as done when its result file appears in the run folder (the disk, not the queue, is
 * the truth: a result is the same file whoever wrote it, and a rerun finds it there). A job that
 * vanished from the queue unfinished (a Redis restarted without persistence) is put on it again;
 * a job that failed on a worker stops the run with the worker's reason.
 */
import { realpathSync } from "node:fs";
import { Queue, type Job } from "bullmq";
import { sha256 } from "../util/hash.js";
import { UserError } from "../util/errors.js";
import { info } from "../util/progress.js";
import { ATTEMPTS, BACKOFF_MS, QUEUE_NAME, connectionFor, redactedUrl } from "./connection.js";
import { workerSlots } from "./workerName.js";

/** How often the coordinator looks at the disk and the queue. */
const POLL_MS = 250;
/** How often it checks that every unfinished job is still on the queue. */
const RECHECK_MS = 10_000;
/** How long it waits for Redis at the start before giving up with a message. */
const CONNECT_MS = 30_000;

export interface QueuedJob<D> {
  /** the kind of job: "fold" or "chunk" */
  name: string;
  id: string;
  data: D;
  /** true once the job's result is on disk */
  done: () => boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Coordinator {
  private lastError = 0;

  private constructor(
    private readonly queue: Queue,
    private readonly url: string,
    /** the queue id of a job of this run folder */
    private readonly tag: string,
  ) {}

  /** Worker threads serving the queue now (at least 1, for the ETA). */
  async slots(): Promise<number> {
    return Math.max(1, workerSlots((await this.queue.getWorkers()).map((w) => w.name ?? "")));
  }

  /** Connects (failing after CONNECT_MS with a one-line message that never shows a password). */
  static async connect(url: string, runDir: string): Promise<Coordinator> {
    const queue = new Queue(QUEUE_NAME, { connection: connectionFor(url) });
    let lastError = "";
    let timer: NodeJS.Timeout | undefined;
    // a refused password or a TLS failure is final at once; an unreachable host is retried for CONNECT_MS
    const fatal = new Promise((_, rej) => queue.on("error", (e: Error) => {
      lastError = e.message;
      if (/^(WRONGPASS|NOAUTH|ERR AUTH)|certificate|self[- ]signed|SSL|TLS/i.test(e.message)) rej(e);
    }));
    try {
      await Promise.race([queue.waitUntilReady(), fatal, new Promise((_, rej) => (timer = setTimeout(() => rej(new Error("timeout")), CONNECT_MS)))]);
    } catch {
      void queue.disconnect().catch(() => {}); // not awaited: a connection retrying its login may never settle
      throw new UserError(`--queue ${redactedUrl(url)}: cannot reach the queue${lastError ? ` (${lastError})` : ""}`);
    } finally {
      clearTimeout(timer);
    }
    const slots = workerSlots((await queue.getWorkers()).map((w) => w.name ?? ""));
    const c = new Coordinator(queue, url, sha256(realpathSync(runDir)).slice(0, 8));
    queue.on("error", (e: Error) => c.connectionError(e));
    info(`queue ${redactedUrl(url)}: ${slots} worker thread${slots === 1 ? "" : "s"} listening${slots ? "" : " (start workers with: npx poolblend worker --queue URL)"}`);
    return c;
  }

  private connectionError(e: Error): void {
    const now = Date.now();
    if (now - this.lastError < 10_000) return;
    this.lastError = now;
    info(`queue ${redactedUrl(this.url)}: ${e.message}; reconnecting (finished jobs are safe on disk)`);
  }

  private queueId(id: string): string {
    return `${id}-${this.tag}`;
  }

  /** Adds the jobs not yet on the queue (longest first: the order given), removing failed leftovers of an earlier run. */
  private async enqueue<D>(jobs: QueuedJob<D>[]): Promise<void> {
    const add: QueuedJob<D>[] = [];
    for (const j of jobs) {
      if (j.done()) continue;
      const old = await this.queue.getJob(this.queueId(j.id));
      if (old) {
        const state = await old.getState();
        if (state !== "failed" && state !== "completed" && state !== "unknown") continue; // waiting or running: a killed coordinator's job, still valid
        await old.remove();
      }
      add.push(j);
    }
    await this.queue.addBulk(add.map((j) => ({
      name: j.name,
      data: j.data,
      opts: { jobId: this.queueId(j.id), attempts: ATTEMPTS, backoff: { type: "exponential", delay: BACKOFF_MS }, removeOnComplete: true, removeOnFail: { age: 7 * 24 * 3600 } },
    })));
  }

  /**
   * Runs the jobs on the queue's workers; `onStart` when a worker takes one, `onResult` once its
   * result is on disk. Returns when every job is done; throws the reason of a job that failed.
   */
  async run<D>(jobs: QueuedJob<D>[], onStart: (id: string) => void, onResult: (id: string) => void): Promise<void> {
    await this.enqueue(jobs);
    const pending = new Map(jobs.map((j) => [j.id, j]));
    const byQueueId = new Map(jobs.map((j) => [this.queueId(j.id), j.id]));
    const started = new Set<string>();
    let recheck = Date.now();
    while (pending.size) {
      for (const [id, j] of pending) if (j.done()) {
        pending.delete(id);
        onResult(id);
      }
      if (!pending.size) break;
      for (const a of await this.queue.getJobs(["active"])) {
        const id = a.id && byQueueId.get(a.id);
        if (id && pending.has(id) && !started.has(id)) {
          started.add(id);
          onStart(id);
        }
      }
      this.throwIfFailed(await this.queue.getJobs(["failed"]), byQueueId, pending);
      if (Date.now() - recheck > RECHECK_MS) {
        recheck = Date.now();
        await this.enqueue([...pending.values()]);
      }
      await sleep(POLL_MS);
    }
  }

  private throwIfFailed(failed: Job[], byQueueId: Map<string, string>, pending: Map<string, unknown>): void {
    for (const f of failed) {
      const id = f.id && byQueueId.get(f.id);
      if (id && pending.has(id)) throw new UserError(`${f.name === "chunk" ? "feature chunk" : "fold job"} ${id} failed on a queue worker after ${f.attemptsMade} attempt${f.attemptsMade === 1 ? "" : "s"}: ${f.failedReason ?? "no reason given"}`);
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
