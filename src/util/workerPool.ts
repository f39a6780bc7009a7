/**
 * Worker threads running TypeScript modules. Each thread first registers tsx's loader, then
 * imports the worker module (Node 20 does not apply `--import` hooks to a worker's entry module).
 * A worker module answers messages with `serve`; the parent talks to a fixed set of them through
 * `WorkerPool.call`, which hands each call to the next idle worker.
 */
import { Worker, parentPort, workerData, isMainThread, type Transferable } from "node:worker_threads";
import { createRequire } from "node:module";
import { join, dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { UserError } from "./errors.js";

/** tsx's ESM entry, found without import.meta.resolve (absent under vitest's transform). */
const TSX_ESM_API = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve("tsx/esm/api")), "index.mjs")).href;

/** Thrown inside a worker whose pool is closing (another job failed): stop soon, the result is not wanted. */
export class Cancelled extends Error {
  override readonly name = "Cancelled";
}

const CANCEL_KEY = "poolblendCancel";
const cancelFlag: Int32Array | undefined = !isMainThread && (workerData as Record<string, unknown> | undefined)?.[CANCEL_KEY] instanceof SharedArrayBuffer
  ? new Int32Array((workerData as Record<string, SharedArrayBuffer>)[CANCEL_KEY])
  : undefined;

/**
 * In a pool's worker: throws Cancelled once the pool is closing. Native calls check it before they
 * start (OrtSession.run does): a thread terminated inside ONNX Runtime aborts the whole process,
 * so a closing pool lets each busy thread reach such a check instead of killing it mid-call.
 */
export function throwIfCancelled(): void {
  if (cancelFlag && Atomics.load(cancelFlag, 0) === 1) throw new Cancelled("cancelled: the worker pool is closing");
}

type Reply<O> = { ok: true; out: O } | { ok: false; error: string; userError: boolean };
/** A message a worker posts while it works on a call (e.g. its progress), before the call's reply. */
type Note = { note: unknown };

const isNote = (m: unknown): m is Note => typeof m === "object" && m !== null && "note" in m;

/** What a worker's handler returns: the reply, and the buffers to move (not copy) to the parent. */
export interface Served<O> {
  out: O;
  transfer?: Transferable[];
}

/** Inside a worker module: answers every message with `handler`, one at a time, in order; `note` posts to the caller's `onNote` while the handler runs. */
export function serve<I, O>(handler: (input: I, note: (n: unknown) => void) => Promise<Served<O>>): void {
  const port = parentPort;
  if (!port) throw new Error("serve() must run inside a worker thread");
  let chain = Promise.resolve();
  port.on("message", (input: I) => {
    chain = chain.then(async () => {
      try {
        const r = await handler(input, (n) => port.postMessage({ note: n } satisfies Note));
        port.postMessage({ ok: true, out: r.out } satisfies Reply<O>, r.transfer ?? []);
      } catch (e) {
        port.postMessage({ ok: false, error: e instanceof Error ? (e instanceof UserError ? e.message : (e.stack ?? e.message)) : String(e), userError: e instanceof UserError } satisfies Reply<O>);
      }
    });
  });
}

/** A fixed set of threads of one worker module; each call goes to an idle thread. */
export class WorkerPool<I, O> {
  private readonly idle: Worker[] = [];
  private readonly waiting: { take: (w: Worker) => void; fail: (e: Error) => void }[] = [];
  private broken: Error | undefined;
  private readonly inflight = new Set<Promise<unknown>>();

  private constructor(
    private readonly workers: Worker[],
    private readonly cancel: Int32Array,
  ) {
    this.idle.push(...workers);
    for (const w of workers) w.on("error", (e: Error) => (this.broken ??= e));
  }

  /** Starts `size` threads of `workerUrl` and waits until each is online. */
  static async start<I, O>(workerUrl: URL, size: number): Promise<WorkerPool<I, O>> {
    const boot = `import(${JSON.stringify(TSX_ESM_API)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); });`;
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const workers = Array.from({ length: Math.max(1, size) }, () => new Worker(boot, { eval: true, workerData: { [CANCEL_KEY]: cancel.buffer } }));
    await Promise.all(workers.map((w) => new Promise<void>((res, rej) => {
      w.once("online", () => res());
      w.once("error", rej);
    })));
    return new WorkerPool<I, O>(workers, cancel);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs one message on the next idle worker; `onNote` sees what the worker posts meanwhile. A user error in the worker comes back as a UserError. */
  async call(input: I, transfer: Transferable[] = [], onNote: (n: unknown) => void = () => {}): Promise<O> {
    if (this.broken) throw this.broken;
    const w = this.idle.pop() ?? (await new Promise<Worker>((take, fail) => this.waiting.push({ take, fail })));
    const reply = new Promise<O>((resolve, reject) => {
      const onError = (e: Error): void => {
        this.broken = e;
        w.off("message", onMessage);
        reject(e);
      };
      const onMessage = (m: Reply<O> | Note): void => {
        if (isNote(m)) return onNote(m.note);
        w.off("error", onError);
        w.off("message", onMessage);
        if (m.ok) resolve(m.out);
        else reject(m.userError ? new UserError(m.error) : new Error(m.error));
      };
      w.once("error", onError);
      w.on("message", onMessage);
      w.postMessage(input, transfer);
    });
    this.inflight.add(reply);
    try {
      return await reply;
    } finally {
      this.inflight.delete(reply);
      // a dead thread takes no more work, and nobody waits forever for it
      if (this.broken) for (const q of this.waiting.splice(0)) q.fail(this.broken);
      else {
        const next = this.waiting.shift();
        if (next) next.take(w);
        else this.idle.push(w);
      }
    }
  }

  /** Tells busy workers to stop at their next check, waits for them (at most `graceMs`), then ends the threads. */
  async close(graceMs = 60_000): Promise<void> {
    Atomics.store(this.cancel, 0, 1);
    if (this.inflight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.inflight]), new Promise((res) => (timer = setTimeout(res, graceMs)))]);
      clearTimeout(timer);
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

export interface PoolJob<I> {
  id: string;
  input: I;
}

/** Runs every job on `size` workers of `workerUrl`, in order; `onStart`/`onNote`/`onResult` see jobs start, post notes and finish; the first failure stops the rest. */
export async function runPool<I, O>(workerUrl: URL, size: number, jobs: PoolJob<I>[], onResult: (id: string, out: O) => void, onStart: (id: string) => void = () => {}, onNote: (id: string, n: unknown) => void = () => {}): Promise<void> {
  if (jobs.length === 0) return;
  const pool = await WorkerPool.start<I, O>(workerUrl, Math.min(size, jobs.length));
  const queue = [...jobs];
  let failed = false;
  try {
    await Promise.all(Array.from({ length: pool.size }, async () => {
      for (let job = queue.shift(); job && !failed; job = queue.shift()) {
        let out: O;
        try {
          onStart(job.id);
          const id = job.id;
          out = await pool.call(job.input, [], (n) => onNote(id, n));
        } catch (e) {
          failed = true;
          if (e instanceof UserError) throw e;
          throw new Error(`job ${job.id}: ${(e as Error).message}`);
        }
        try {
          onResult(job.id, out);
        } catch (e) {
          // the parent's own failure (e.g. disk full while saving the result) keeps its errno for the CLI
          failed = true;
          throw e;
        }
      }
    }));
  } finally {
    await pool.close();
  }
}
