/**
 * The run lock: one poolblend run per run folder at a time, released by the holder's death
 * whatever the death, impersonated by nothing.
 *
 * The lock is a directory `<run>/.lock/` holding `owner.json` (host, pid, start, command and a
 * random token: for messages, and for the holder to notice it was superseded) and a `heartbeat`
 * file whose mtime a worker thread of the holder bumps every second. A contender that finds the
 * directory watches the heartbeat: a change means a live holder; no change for STALE_MS means the
 * holder is gone (killed, zombie, frozen) and the lock is taken over. Liveness never rests on a
 * PID, so a zombie, a recycled PID, a holder in another PID namespace or on another host sharing
 * the folder are all judged by the one thing that matters: is it still beating.
 *
 * One shortcut, for death only: on the same machine and in the same PID namespace, the kernel can
 * prove the holder gone (no such process, a zombie, or another process with its PID but a different
 * start time), and then an immediate rerun after a kill takes over at once instead of waiting out
 * the heartbeat. Anything less than proof falls back to the heartbeat.
 *
 * Why a worker thread: the main thread does long synchronous work (blending 49k rows is ~30 s
 * of synchronous JS), so a setTimeout heartbeat there would make a live holder look stale. The
 * worker keeps beating while the main thread is busy, and dies with the process.
 *
 * Why not flock(2): Node has no binding for it (an addon would need a native build at install),
 * and it does not reach across hosts on every network file system. Why not proper-lockfile: its
 * heartbeat is a setTimeout on the main thread.
 */
import { lstatSync, mkdirSync, openSync, fstatSync, closeSync, readFileSync, readdirSync, readlinkSync, realpathSync, renameSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, join } from "node:path";
import { randomBytes } from "node:crypto";
import { Worker } from "node:worker_threads";
import { UserError } from "./errors.js";
import { info } from "./progress.js";

/** The holder bumps its heartbeat this often. */
const BEAT_MS = 1000;
/** A heartbeat unchanged for this long (five missed beats) is a dead holder's. */
export const STALE_MS = 5000;
/** How often a contender looks at the heartbeat. */
const POLL_MS = 200;
/**
 * Heartbeat mtimes are a counter, not the clock: clocks of hosts sharing a folder may disagree,
 * and only a change is ever looked at. Even seconds from 2001 on, stepping by 2, so that every
 * beat changes the mtime even where timestamps have 2-second resolution (FAT, some SMB shares).
 */
const BEAT_BASE = 1_000_000_000;
const BEAT_STEP = 2;

const LOCK = ".lock";
const OWNER = "owner.json";
const HEARTBEAT = "heartbeat";
/** Prefixes of the lock's own temporary directories inside the run folder. */
const NEW = ".lock.new-";
const STALE = ".lock.stale-";

/** What `owner.json` says about the run holding the lock. */
export interface LockOwner {
  token: string;
  host: string;
  pid: number;
  /** ISO time the run took the lock. */
  started: string;
  /** The command as the user typed it, e.g. `npm run oof`. */
  command: string;
  /** Who the holder is to the kernel, where /proc says so unambiguously (Linux). */
  proc?: ProcIdentity;
}

/** A process as the kernel knows it: its boot, PID namespace and start time (clock ticks after boot). */
export interface ProcIdentity {
  boot: string;
  pidns: string;
  start: string;
}

export interface LockOptions {
  /** Wait for a live holder to finish instead of stopping with a message (`--wait`). */
  wait?: boolean;
}

/** Locks this process holds, by the run folder's real path: taking one twice is a no-op. */
const held = new Map<string, () => void>();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/**
 * Takes the run folder's lock so that a second poolblend on the same folder stops with a clear
 * message (or waits, with `wait`) instead of interleaving writes. A lock whose holder died is
 * taken over after at most STALE_MS. Returns the release (also run on exit).
 */
export async function lockRunDir(dir: string, opts: LockOptions = {}): Promise<() => void> {
  makeRunDir(dir);
  const key = realpathSync(dir);
  const again = held.get(key);
  if (again) return again;
  const me = ownerRecord();
  let waitingSaid = false;
  while (!place(dir, me)) {
    let seen = await watchHolder(dir);
    while (seen.kind === "alive") {
      if (!opts.wait) throw new UserError(busyMessage(dir, seen.owner));
      if (!waitingSaid) info(`${dir}: waiting for ${describeOwner(seen.owner)} to finish with this run folder (--wait)`);
      waitingSaid = true;
      seen = await watchHolder(dir);
    }
    if (seen.kind === "stale") removeLock(dir, seen.token, me.token);
  }
  const release = hold(dir, me.token, () => held.delete(key));
  held.set(key, release);
  return release;
}

function makeRunDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UserError(`${dir}: cannot create the run folder (${errCode(e) ?? (e as Error).message})`);
  }
}

function ownerRecord(): LockOwner {
  return {
    token: randomBytes(12).toString("hex"),
    host: hostname(),
    pid: process.pid,
    started: new Date().toISOString(),
    command: `npm run ${basename(process.argv[1] ?? "poolblend", ".ts")}`,
    proc: selfIdentity(),
  };
}

/** State and start time from a /proc/<pid>/stat line (the command name may hold spaces and parentheses). */
function parseStat(line: string): { pid: number; state: string; start: string } {
  const rest = line.slice(line.lastIndexOf(")") + 2).split(" ");
  return { pid: Number(line.slice(0, line.indexOf(" "))), state: rest[0], start: rest[19] };
}

/**
 * This process's identity, or undefined without a /proc that shows our own PID namespace (no
 * /proc at all, or a PID namespace entered without remounting /proc: then /proc's PIDs are not
 * ours and cannot prove anything).
 */
let self: ProcIdentity | undefined | null = null;
function selfIdentity(): ProcIdentity | undefined {
  if (self === null) self = readSelfIdentity();
  return self;
}

function readSelfIdentity(): ProcIdentity | undefined {
  try {
    const st = parseStat(readFileSync("/proc/self/stat", "utf8"));
    if (st.pid !== process.pid) return undefined;
    return { boot: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(), pidns: readlinkSync("/proc/self/ns/pid"), start: st.start };
  } catch {
    return undefined;
  }
}

/**
 * True only when the kernel proves the holder gone: same machine, boot and PID namespace as us,
 * and its PID is free, a zombie (killed, not yet reaped: it has no threads left to write with), or
 * taken by a process that started at another time (the PID was reused).
 */
function provedDead(o: LockOwner | undefined): boolean {
  const me = selfIdentity();
  if (!o?.proc || !me || o.host !== hostname() || o.proc.boot !== me.boot || o.proc.pidns !== me.pidns) return false;
  if (!Number.isInteger(o.pid) || o.pid <= 0) return false;
  let st: ReturnType<typeof parseStat>;
  try {
    st = parseStat(readFileSync(`/proc/${o.pid}/stat`, "utf8"));
  } catch (e) {
    return errCode(e) === "ENOENT" || errCode(e) === "ESRCH";
  }
  return st.state === "Z" || st.state === "X" || st.start !== o.proc.start;
}

/**
 * Tries to put a fully formed lock in place: built in a temp directory, then renamed to `.lock`.
 * rename(2) onto an existing non-empty directory fails, so exactly one contender wins, and no
 * one ever sees a lock without its owner and heartbeat.
 */
function place(dir: string, me: LockOwner): boolean {
  const tmp = join(dir, `${NEW}${me.token}`);
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    writeFileSync(join(tmp, OWNER), JSON.stringify(me) + "\n");
    writeFileSync(join(tmp, HEARTBEAT), "");
    utimesSync(join(tmp, HEARTBEAT), BEAT_BASE, BEAT_BASE);
    renameSync(tmp, join(dir, LOCK));
    return true;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    // a network file system may report a retransmitted rename that did succeed as an error
    if (readOwner(join(dir, LOCK))?.token === me.token) return true;
    const code = errCode(e);
    if (code === "ENOTDIR") return removeOldLockFile(dir);
    // EEXIST/ENOTEMPTY: held by someone; ENOENT: a new holder cleared our temp directory away
    if (code === "EEXIST" || code === "ENOTEMPTY" || code === "ENOENT") return false;
    throw e;
  }
}

/**
 * Older poolblend versions kept a PID in a `.lock` file; a PID says nothing reliable about
 * liveness (zombies, reused PIDs, other namespaces), so such a file never blocks a run.
 */
function removeOldLockFile(dir: string): boolean {
  const file = join(dir, LOCK);
  if (!lstatSync(file, { throwIfNoEntry: false })?.isFile()) throw new UserError(`${file}: is not a poolblend run lock; remove it and rerun`);
  try {
    unlinkSync(file); // unlink never removes a directory: a new-style lock placed meanwhile stays
  } catch (e) {
    if (errCode(e) !== "ENOENT" && errCode(e) !== "EISDIR") throw e;
  }
  return false;
}

type Seen = { kind: "gone" } | { kind: "alive"; owner: LockOwner | undefined } | { kind: "stale"; token: string | undefined };

/**
 * Watches an existing lock until its heartbeat changes (alive), it disappears (gone), or it
 * stays unchanged for STALE_MS (stale). Says once, after two missed beats, that a takeover may
 * come, so an immediate rerun after a kill explains its pause.
 */
async function watchHolder(dir: string): Promise<Seen> {
  const lock = join(dir, LOCK);
  const first = signature(lock);
  if (first === undefined) return { kind: "gone" };
  const t0 = performance.now();
  let said = false;
  for (;;) {
    const owner = readOwner(lock);
    if (provedDead(owner)) {
      info(`${dir}: taking over the run lock of ${describeOwner(owner)}, which is no longer running`);
      return { kind: "stale", token: owner?.token };
    }
    if (performance.now() - t0 >= STALE_MS) break;
    await sleep(POLL_MS);
    const now = signature(lock);
    if (now === undefined) return { kind: "gone" };
    if (now !== first) return { kind: "alive", owner: readOwner(lock) };
    if (!said && performance.now() - t0 > 2 * BEAT_MS) {
      said = true;
      info(`${dir}: ${describeOwner(readOwner(lock))} holds this run folder's lock but shows no heartbeat; taking the lock over if it stays silent for ${STALE_MS / 1000} s`);
    }
  }
  return { kind: "stale", token: readOwner(lock)?.token };
}

/**
 * The lock's state as a contender sees it: owner token and heartbeat mtime; undefined once gone.
 * The heartbeat is opened, not just stat'ed: on NFS an open revalidates cached attributes
 * (close-to-open consistency), so another host's beats are seen.
 */
function signature(lock: string): string | undefined {
  const st = lstatSync(lock, { throwIfNoEntry: false });
  if (!st) return undefined;
  if (!st.isDirectory()) return "old-format"; // a PID file of an older poolblend: place() removes it
  let beat = "no-heartbeat";
  try {
    const fd = openSync(join(lock, HEARTBEAT), "r");
    try {
      beat = String(fstatSync(fd).mtimeMs);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if (errCode(e) !== "ENOENT") throw e;
  }
  return `${readOwner(lock)?.token ?? "no-owner"}:${beat}`;
}

function readOwner(lock: string): LockOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(join(lock, OWNER), "utf8")) as Partial<LockOwner>;
    return typeof o.token === "string" ? (o as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes the lock if it is still the one `token` names: renamed aside first, so that it vanishes
 * in one step (no contender ever sees a half-deleted lock), then deleted. Two contenders may judge
 * the same lock stale; the rename lets one win, and whoever finds it moved a different lock (a
 * fresh holder's, placed in between) puts it back. Either way a contender then competes for the
 * free slot again through place().
 */
function removeLock(dir: string, token: string | undefined, tag: string): void {
  const lock = join(dir, LOCK);
  const aside = join(dir, `${STALE}${tag}`);
  try {
    renameSync(lock, aside);
  } catch (e) {
    if (errCode(e) === "ENOENT") return; // someone else moved it first
    throw e;
  }
  if (readOwner(aside)?.token !== token) {
    try {
      renameSync(aside, lock);
      return;
    } catch {
      // a third run took the free slot meanwhile; the lock we moved belongs to a run that will
      // notice it lost the lock on its next beat and stop
    }
  }
  rmSync(aside, { recursive: true, force: true });
}

/** Starts the heartbeat, clears leftovers of interrupted lock operations, arms the release. */
function hold(dir: string, token: string, forget: () => void): () => void {
  const lock = join(dir, LOCK);
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const beater = startHeartbeat(dir, lock, token, stop);
  clearLeftovers(dir);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    forget();
    Atomics.store(stop, 0, 1); // before the lock goes, or the worker would take its own release for a takeover
    void beater.terminate();
    try {
      if (readOwner(lock)?.token === token) removeLock(dir, token, token);
    } catch {
      // left behind, it blocks nothing: the next run finds this process gone and takes it over
    }
  };
  process.once("exit", release);
  return release;
}

/** `.lock.new-*` and `.lock.stale-*` left by runs killed mid-operation (contenders retry on ENOENT). */
function clearLeftovers(dir: string): void {
  for (const f of readdirSync(dir)) {
    if (f.startsWith(NEW) || f.startsWith(STALE)) rmSync(join(dir, f), { recursive: true, force: true });
  }
}

/**
 * The heartbeat thread, plain JS (no tsx loader needed). Each beat first checks that owner.json
 * still carries our token: a run frozen longer than STALE_MS (Ctrl-Z, a paused VM) may have been
 * taken over, and must then stop at once rather than write beside the new holder. SIGKILL stops
 * it even mid-way through synchronous work, and is safe: every output is written atomically, so a
 * rerun resumes.
 */
const HEARTBEAT_JS = `
const { workerData } = require("node:worker_threads");
const { readFileSync, utimesSync, writeSync } = require("node:fs");
const { join } = require("node:path");
const { lock, token, beatMs, base, step, lostMessage } = workerData;
const stop = new Int32Array(workerData.stop);
let n = base;
function holderToken() {
  try { return JSON.parse(readFileSync(join(lock, "owner.json"), "utf8")).token; }
  catch (e) { return e.code === "ENOENT" || e instanceof SyntaxError ? null : undefined; }
}
setInterval(() => {
  if (Atomics.load(stop, 0)) return;
  const t = holderToken();
  if (t === undefined) return; // unreadable for now (EIO, ESTALE): look again next beat
  if (t !== token) {
    if (Atomics.load(stop, 0)) return; // released while we looked
    writeSync(2, lostMessage);
    process.kill(process.pid, "SIGKILL");
  }
  n += step;
  try { utimesSync(join(lock, "heartbeat"), n, n); } catch {}
}, beatMs);
`;

function startHeartbeat(dir: string, lock: string, token: string, stop: Int32Array): Worker {
  const lostMessage = `poolblend: ${dir}: this run lost the run folder's lock (another run took it over while this one was stopped, or ${lock} was removed); stopping so that two runs never write at once. Rerun to resume.\n`;
  const w = new Worker(HEARTBEAT_JS, {
    eval: true,
    execArgv: [], // no tsx loader in this thread: it only needs node:fs
    workerData: { lock, token, beatMs: BEAT_MS, base: BEAT_BASE, step: BEAT_STEP, lostMessage, stop: stop.buffer },
  });
  w.unref(); // the heartbeat never keeps a finished run alive
  return w;
}

function describeOwner(o: LockOwner | undefined): string {
  if (!o) return "another poolblend run";
  const where = o.host === hostname() ? "" : ` on ${o.host}`;
  return `pid ${o.pid}${where} (${o.command}, started ${localTime(o.started)})`;
}

function busyMessage(dir: string, o: LockOwner | undefined): string {
  const who = o ? ` (pid ${o.pid})` : "";
  const what = o ? ` (${o.command}, started ${localTime(o.started)}${o.host === hostname() ? "" : ` on ${o.host}`})` : "";
  return `${dir}: another poolblend run${who} is using this run folder; wait for it to finish or stop it, or rerun with --wait to queue behind it${what}`;
}

function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
