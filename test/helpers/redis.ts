/**
 * A real redis-server for a test: its own free port and temp folder (never the system service),
 * optionally with AOF persistence, a password and TLS; stopped, killed and restarted on the same
 * port by the test. Tests that need it are skipped, with the reason printed, when Debian's
 * redis-server is not installed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipelineArgv, ROOT } from "./run.js";

export const REDIS_SERVER = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find((f) => existsSync(f));

/** Why redis tests cannot run here, or undefined. */
export const redisMissing: string | undefined = REDIS_SERVER ? undefined : "redis-server is not installed (Debian: apt-get install redis-server); the queue tests cannot run";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RedisOpts {
  persistence?: boolean;
  password?: string;
  /** serve TLS only, with this certificate and key (PEM files) */
  tls?: { cert: string; key: string };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every server and worker a test file started, for its afterAll to stop even after a failed or timed-out test. */
const started = new Set<{ kill(): void }>();

export function stopStarted(): void {
  for (const p of started) p.kill();
  started.clear();
}

export class TestRedis {
  private proc: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), "pb-redis-"));

  private constructor(readonly port: number, private readonly opts: RedisOpts) {}

  static async start(opts: RedisOpts = {}): Promise<TestRedis> {
    const r = new TestRedis(await freePort(), opts);
    started.add({ kill: () => r.proc?.exitCode === null && r.proc.kill("SIGKILL") });
    await r.launch();
    return r;
  }

  /** redis:// (or rediss://) URL, with the password when there is one. */
  get url(): string {
    const auth = this.opts.password ? `:${encodeURIComponent(this.opts.password)}@` : "";
    return this.opts.tls ? `rediss://${auth}localhost:${this.port}` : `redis://${auth}127.0.0.1:${this.port}`;
  }

  private args(): string[] {
    const a = ["--bind", "127.0.0.1", "--dir", this.dir, "--save", "", "--appendonly", this.opts.persistence ? "yes" : "no", "--appendfsync", "always"];
    if (this.opts.password) a.push("--requirepass", this.opts.password);
    if (this.opts.tls) a.push("--port", "0", "--tls-port", String(this.port), "--tls-cert-file", this.opts.tls.cert, "--tls-key-file", this.opts.tls.key, "--tls-ca-cert-file", this.opts.tls.cert, "--tls-auth-clients", "no");
    else a.push("--port", String(this.port));
    return a;
  }

  async launch(): Promise<void> {
    this.proc = spawn(REDIS_SERVER!, this.args(), { stdio: "ignore" });
    for (let i = 0; i < 200; i++) {
      const up = await new Promise<boolean>((res) => {
        const c = connect(this.port, "127.0.0.1", () => {
          c.destroy();
          res(true);
        });
        c.on("error", () => res(false));
      });
      if (up) return;
      await sleep(50);
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  /** Stops the server (SIGTERM: with persistence on, it writes its data out first) and waits for it to exit. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    await gone;
  }

  async restart(pauseMs = 1000): Promise<void> {
    await this.stop();
    await sleep(pauseMs);
    await this.launch();
  }
}

/** A `npx poolblend worker` process with its stderr collected. */
export class WorkerProc {
  log = "";
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.proc = spawn(process.execPath, pipelineArgv("worker", args), { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.proc.stdout!.setEncoding("utf8").on("data", (d: string) => (this.log += d));
    this.proc.stderr!.setEncoding("utf8").on("data", (d: string) => (this.log += d));
    this.exited = new Promise((r) => this.proc.on("exit", (c) => r(c)));
    started.add(this);
  }

  /** Resolves once the log matches `re` (polled every 20 ms). */
  async waitFor(re: RegExp, timeoutMs = 120_000): Promise<void> {
    const t0 = Date.now();
    while (!re.test(this.log)) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`worker log never matched ${re}:\n${this.log}`);
      if (this.proc.exitCode !== null) throw new Error(`worker exited (${this.proc.exitCode}) before its log matched ${re}:\n${this.log}`);
      await sleep(20);
    }
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
  }
}
