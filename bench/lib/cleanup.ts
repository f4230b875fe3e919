/**
 * Undo actions (stop a server, remove a folder), run newest first. They are synchronous so they
 * also work from an 'exit' handler and after Ctrl-C, when the event loop may not run again.
 */
type Undo = { label: string; run: () => void };

const stack: Undo[] = [];

export interface Pending {
  /** Runs the action now (once) and removes it from the list. */
  now(): void;
  /** Removes it from the list without running it (the thing it undoes is already gone). */
  dismiss(): void;
}

/** Registers an undo action to run at the end of the run, or earlier through the handle. */
export function onCleanup(label: string, run: () => void): Pending {
  const entry: Undo = { label, run };
  stack.push(entry);
  const remove = (): boolean => {
    const i = stack.indexOf(entry);
    if (i >= 0) stack.splice(i, 1);
    return i >= 0;
  };
  return {
    now: () => void (remove() && attempt(entry)),
    dismiss: () => void remove(),
  };
}

function attempt(entry: Undo): void {
  try {
    entry.run();
  } catch (e) {
    process.stderr.write(`[bench] cleanup "${entry.label}" failed: ${(e as Error).message}\n`);
  }
}

/** Runs every pending undo action, newest first. */
export function cleanupAll(): void {
  while (stack.length > 0) attempt(stack.pop()!);
}

let installed = false;

/** Ctrl-C, SIGTERM, a crash or a normal exit all end with the same cleanup. */
export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n[bench] ${signal}: stopping servers and removing temp folders\n`);
      cleanupAll();
      process.exit(130);
    });
  }
  process.once('exit', cleanupAll);
}
