/**
 * A duty `serve` runs every so often (expired objects, abandoned uploads): one tick at a time (a
 * tick still running makes the next one skip, so a slow database never piles them up), on a
 * timer that never keeps the process alive, stopped by waiting for the tick in progress.
 */
export function startPeriodic(
  intervalMs: number,
  tick: () => Promise<void>,
  { now = false }: { now?: boolean } = {},
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const run = () => {
    if (running) return;
    running = tick().finally(() => {
      running = undefined;
    });
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  if (now) run();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
