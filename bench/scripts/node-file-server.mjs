/**
 * The most a plain Node.js process sends of one file over HTTP, for the bench's download peers:
 * no framework, no authentication, no metadata; the same way of reading as Plankton's downloads
 * (4 MiB reads into a few recycled buffers, two reads ahead, a buffer reused once the socket has
 * taken it). Node has no sendfile, so every byte is copied from the page cache into a buffer and
 * from it into the socket: what separates this figure from nginx's is that copy, not Plankton.
 *
 *   node bench/scripts/node-file-server.mjs <file> <port>    # GET / sends the file
 */
import fs from 'node:fs/promises';
import http from 'node:http';

const CHUNK = 4 << 20;
const AHEAD = 2;
const [file, port] = process.argv.slice(2);
const { size } = await fs.stat(file);
const spare = [];
const take = () => spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK);

async function send(res) {
  const fh = await fs.open(file, 'r');
  try {
    const reads = [];
    let next = 0;
    const fill = () => {
      for (; reads.length <= AHEAD && next < size; next += CHUNK) {
        const buffer = take();
        reads.push(
          fh.read(buffer, 0, Math.min(CHUNK, size - next), next).then(({ bytesRead }) => ({ buffer, bytesRead })),
        );
      }
    };
    fill();
    while (reads.length > 0) {
      const { buffer, bytesRead } = await reads.shift();
      fill();
      if (!res.write(buffer.subarray(0, bytesRead), (err) => !err && spare.push(buffer)))
        await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  } finally {
    await fh.close();
  }
}

http
  .createServer((req, res) => {
    if (req.url !== '/') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
    send(res).catch((err) => res.destroy(err));
  })
  .listen(Number(port), '127.0.0.1');
