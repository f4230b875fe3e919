/**
 * Large objects (issue 19 item 5): the data file, already stored as `bench/data.bin`, made into
 * segments by hashmap PUTs of slices of its hashmap (segments of 100 MiB, quick: 32 MiB — whole
 * 4 MiB blocks, so no byte moves and no block is stored twice), then a dynamic manifest
 * (`X-Object-Manifest`) and a static one (`?multipart-manifest=put`) over them; each downloaded
 * like the plain object (best of the same number of tries), so the figures compare directly with
 * `object_get_mib_s`.
 */
import { bestDownload } from '../lib/curl.ts';
import { describe, mibPerSecond, ok, request, type Headers } from '../lib/http-client.ts';
import type { Results } from '../lib/results.ts';

const MIB = 1024 * 1024;
const BLOCK = 4 * MIB;

export interface LargeObjectSession {
  readonly base: string;
  readonly account: string;
  readonly auth: Headers;
  readonly size: number;
  readonly downloads: number;
}

/** Segment size for a data file: 100 MiB for the full run's 2 GiB, else 32 MiB (at least 8 segments). */
export const segmentBytes = (size: number): number => (size >= 1024 * MIB ? 100 * MIB : 32 * MIB);

/** Returns how many segments the large objects have. */
export async function largeObjectDownloads(s: LargeObjectSession, results: Results): Promise<number> {
  const store = `${s.base}/object-store/v1/${s.account}`;
  const got = await request('GET', `${store}/bench/data.bin?hashmap&format=json`, s.auth);
  if (!ok(got)) throw new Error(`hashmap GET: ${describe(got)}`);
  const { bytes, hashes } = JSON.parse(got.body) as { bytes: number; hashes: string[] };
  if (bytes !== s.size) throw new Error(`bench/data.bin has ${bytes} bytes, not ${s.size}`);
  const made = await request('PUT', `${store}/bench-segments`, s.auth);
  if (!ok(made)) throw new Error(`segment container PUT: ${describe(made)}`);
  const segment = segmentBytes(bytes);
  const perSegment = segment / BLOCK;
  const paths: string[] = [];
  for (let i = 0, offset = 0; offset < bytes; i++, offset += segment) {
    const name = `data/${String(i).padStart(5, '0')}`;
    const length = Math.min(segment, bytes - offset);
    const put = await request(
      'PUT',
      `${store}/bench-segments/${name}?hashmap&format=json`,
      { ...s.auth, 'Content-Type': 'application/octet-stream' },
      JSON.stringify({
        bytes: length,
        hashes: hashes.slice(i * perSegment, i * perSegment + Math.ceil(length / BLOCK)),
      }),
    );
    if (!ok(put)) throw new Error(`segment hashmap PUT: ${describe(put)}`);
    paths.push(`/bench-segments/${name}`);
  }
  const dlo = await request(
    'PUT',
    `${store}/bench/data.dlo`,
    { ...s.auth, 'X-Object-Manifest': 'bench-segments/data/' },
    '',
  );
  if (!ok(dlo)) throw new Error(`DLO manifest PUT: ${describe(dlo)}`);
  const dloGet = await bestDownload(`${store}/bench/data.dlo`, s.auth, bytes, s.downloads);
  results.set('dlo_get_mib_s', mibPerSecond(bytes, dloGet.seconds));
  const slo = await request(
    'PUT',
    `${store}/bench/data.slo?multipart-manifest=put`,
    { ...s.auth, 'Content-Type': 'application/json' },
    JSON.stringify(paths.map((path) => ({ path, etag: null, size_bytes: null }))),
  );
  if (!ok(slo)) throw new Error(`SLO manifest PUT: ${describe(slo)}`);
  const sloGet = await bestDownload(`${store}/bench/data.slo`, s.auth, bytes, s.downloads);
  results.set('slo_get_mib_s', mibPerSecond(bytes, sloGet.seconds));
  return paths.length;
}
