import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** Header lines exactly as received. */
  headerLines: string[];
  body: Buffer;
}

/**
 * Sends bytes exactly as given (for malformed requests fetch would refuse to send) and reads the
 * reply until the server closes the connection (send `Connection: close`).
 */
export function rawRequest(url: string, request: string | Buffer): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    // Only a server that never answers waits this out; a loaded machine may take seconds to reply.
    socket.setTimeout(60_000, () => socket.destroy(new Error('no reply within 60 s')));
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, split).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({
        status: Number(head[0].split(' ')[1]),
        headers,
        headerLines: head.slice(1),
        body: all.subarray(split + 4),
      });
    });
  });
}
