import { createCipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';

const CHUNK = 4 << 20;

/**
 * Writes `bytes` of incompressible, never-repeating data (AES-CTR keystream under a random key:
 * every 4 MiB block is distinct, so nothing deduplicates by accident), fast enough for GiBs.
 */
export function writeRandomFile(file: string, bytes: number): void {
  const cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
  const zeros = Buffer.alloc(CHUNK);
  const fd = fs.openSync(file, 'w');
  try {
    for (let done = 0; done < bytes; done += CHUNK) {
      const n = Math.min(CHUNK, bytes - done);
      fs.writeSync(fd, cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n)));
    }
  } finally {
    fs.closeSync(fd);
  }
}
