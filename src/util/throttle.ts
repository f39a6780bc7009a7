/** Calls `send` at most once per `ms` milliseconds, dropping what comes between, except values `always` lets through (e.g. a job's last word). */
export function throttled<T>(send: (x: T) => void, ms: number, always: (x: T) => boolean = () => false): (x: T) => void {
  let last = -Infinity;
  return (x) => {
    const now = performance.now();
    if (!always(x) && now - last < ms) return;
    last = now;
    send(x);
  };
}
