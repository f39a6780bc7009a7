/**
 * The queue's address and the settings every coordinator and worker share. The engine is BullMQ
 * on Redis (https://docs.bullmq.io): it keeps the jobs, hands each to one worker, re-queues a job
 * whose worker died (stalled-job detection), and retries a failed one with backoff.
 *
 * The URL may hold a password (`redis://:PASSWORD@host:6379`, `rediss://` for TLS); it is never
 * printed: every message names the queue by `redactedUrl`.
 */
import type { RedisOptions } from "bullmq";
// BullMQ hands these options to ioredis, its Redis client: they are checked against ioredis's own type
import type { RedisOptions as IORedisOptions } from "ioredis";
import { UserError } from "../util/errors.js";

/** One queue for every poolblend run on the same Redis; a job's id names its run folder. */
export const QUEUE_NAME = "poolblend";

/**
 * A worker's lock on its job lasts this long and is renewed every half of it by the worker's main
 * thread (the job itself runs in a worker thread, so renewal never waits for it). A worker that
 * dies (kill -9, a lost machine) stops renewing; its job goes back to the queue at the next
 * stalled check after the lock expires: within LOCK_MS + STALLED_CHECK_MS.
 */
export const LOCK_MS = 10_000;
export const STALLED_CHECK_MS = 5_000;
/** A job re-queued this often after its worker died is failed (a job that kills every worker). */
export const MAX_STALLED = 3;
/** A job that throws is tried this often in all, waiting 2 s, 4 s, … between tries. */
export const ATTEMPTS = 3;
export const BACKOFF_MS = 2_000;

/** The URL with any password replaced by `***`, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(an unparsable queue URL)";
  }
}

/**
 * Connection options for a `redis://` or `rediss://` URL (host, port, optional user, password and
 * database number). `rediss://` connects with TLS and checks the server's certificate against the
 * system's CAs plus any in NODE_EXTRA_CA_CERTS. Commands wait through a lost connection instead of
 * failing (maxRetriesPerRequest null), so a restarted Redis only pauses the run.
 */
export function connectionFor(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`--queue ${redactedUrl(url)}: not a URL; expected redis://HOST:PORT or rediss://HOST:PORT`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new UserError(`--queue ${redactedUrl(url)}: expected redis://HOST:PORT or rediss://HOST:PORT (TLS)`);
  if (!u.hostname) throw new UserError(`--queue ${redactedUrl(url)}: no host`);
  const db = u.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d+$/.test(db)) throw new UserError(`--queue ${redactedUrl(url)}: the path must be a database number`);
  const options = {
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    // reconnect forever, at most every 2 s: a Redis restart must not end a long run
    retryStrategy: (times: number) => Math.min(times * 100, 2_000),
  } satisfies IORedisOptions;
  return options;
}

/** The queue URL from `--queue`, else from the POOLBLEND_QUEUE environment variable (keeps a password out of `ps`). */
export function queueUrl(flag: unknown): string | undefined {
  if (typeof flag === "string" && flag !== "") return flag;
  const env = process.env.POOLBLEND_QUEUE;
  return env ? env : undefined;
}
