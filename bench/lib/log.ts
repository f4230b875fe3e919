/** Progress lines on stderr, stamped with the seconds since the run began. */
const began = Date.now();

export const elapsedSeconds = (): number => (Date.now() - began) / 1000;

export function log(section: string, message: string): void {
  process.stderr.write(`[bench ${elapsedSeconds().toFixed(1).padStart(6)}s] ${section}: ${message}\n`);
}
