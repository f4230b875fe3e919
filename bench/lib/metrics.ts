/** Every number the run reports: its key in latest.json, unit, and what it measures. */
export interface MetricInfo {
  readonly key: string;
  readonly unit: 'MiB/s' | 's' | 'req/s' | 'ms' | 'MB' | 'images' | 'MiB' | 'processes';
  readonly what: string;
}

export const METRICS = [
  // the machine
  {
    key: 'upload_limit_mib_s',
    unit: 'MiB/s',
    what: 'sha256 + MD5 over the same bytes in one thread: the most a streamed upload that computes both can reach',
  },
  { key: 'sha256_mib_s', unit: 'MiB/s', what: 'sha256 alone, one thread' },
  { key: 'md5_mib_s', unit: 'MiB/s', what: 'MD5 alone, one thread' },
  {
    key: 'disk_write_mib_s',
    unit: 'MiB/s',
    what: 'writing the data size to a new file in the temp folder, fsync included',
  },
  { key: 'nginx_download_mib_s', unit: 'MiB/s', what: 'nginx (Debian) serving the data file from disk' },
  {
    key: 'node_download_mib_s',
    unit: 'MiB/s',
    what: 'a plain Node.js HTTP server sending the data file as Plankton reads blocks (4 MiB reads into recycled buffers, no sendfile): the most a Node process sends',
  },
  // Plankton
  { key: 'upload_mib_s', unit: 'MiB/s', what: 'Plankton: POST /image/v1.0/images with the data as body' },
  { key: 'object_put_mib_s', unit: 'MiB/s', what: 'Plankton: object PUT (raw, Content-Length)' },
  { key: 'download_mib_s', unit: 'MiB/s', what: 'Plankton: GET /image/v1.0/images/<id>' },
  { key: 'object_get_mib_s', unit: 'MiB/s', what: 'Plankton: object GET' },
  {
    key: 'dlo_get_mib_s',
    unit: 'MiB/s',
    what: 'Plankton: GET of a dynamic large object (X-Object-Manifest) over the data file in 100 MiB segments (quick: 32 MiB)',
  },
  {
    key: 'slo_get_mib_s',
    unit: 'MiB/s',
    what: 'Plankton: GET of a static large object (?multipart-manifest=put) over the same segments',
  },
  {
    key: 'dedup_reupload_s',
    unit: 's',
    what: 'Plankton: hashmap PUT of the uploaded object under a new name (all blocks exist)',
  },
  {
    key: 'versioning_auto_overwrite_mib_s',
    unit: 'MiB/s',
    what: 'Plankton: object PUT overwriting the data file in a `versioning: auto` container (best of 2)',
  },
  {
    key: 'versioning_none_overwrite_mib_s',
    unit: 'MiB/s',
    what: 'Plankton: object PUT overwriting the data file in a `versioning: none` container (best of 2)',
  },
  { key: 'head_rps', unit: 'req/s', what: 'Plankton: HEAD /image/v1.0/images/<id> under wrk' },
  { key: 'head_p50_ms', unit: 'ms', what: 'Plankton: HEAD latency, median' },
  { key: 'head_p99_ms', unit: 'ms', what: 'Plankton: HEAD latency, 99th percentile' },
  {
    key: 'list_rps',
    unit: 'req/s',
    what: 'Plankton: GET /image/v1.0/images/detail?limit=100&disk_format=diskdump under wrk',
  },
  { key: 'list_p50_ms', unit: 'ms', what: 'Plankton: list latency, median' },
  { key: 'list_p99_ms_100k', unit: 'ms', what: 'Plankton: list latency, 99th percentile (at `seeded_images` images)' },
  { key: 'v2_upload_mib_s', unit: 'MiB/s', what: 'Plankton: PUT /image/v2/images/<id>/file (a third data file)' },
  { key: 'v2_download_mib_s', unit: 'MiB/s', what: 'Plankton: GET /image/v2/images/<id>/file' },
  { key: 'v2_show_rps', unit: 'req/s', what: 'Plankton: GET /image/v2/images/<id> (a seeded image) under wrk' },
  { key: 'v2_show_p50_ms', unit: 'ms', what: 'Plankton: v2 image GET latency, median' },
  { key: 'v2_show_p99_ms', unit: 'ms', what: 'Plankton: v2 image GET latency, 99th percentile' },
  { key: 'v2_list_rps', unit: 'req/s', what: 'Plankton: GET /image/v2/images?limit=100 under wrk' },
  { key: 'v2_list_p50_ms', unit: 'ms', what: 'Plankton: v2 list latency, median' },
  { key: 'v2_list_p99_ms', unit: 'ms', what: 'Plankton: v2 list latency, 99th percentile (at `seeded_images` images)' },
  {
    key: 'swift_slo_upload_mib_s',
    unit: 'MiB/s',
    what: 'Plankton: `swift upload --use-slo --segment-size 64M --segment-threads 8` of a fresh data file (quick: 16M segments), through v1.0 auth',
  },
  {
    key: 'swift_list_rps',
    unit: 'req/s',
    what: 'Plankton: Swift container listing of the seeded images container, 100 entries backwards from its middle (`reverse`, `end_marker`), under wrk',
  },
  { key: 'swift_list_p50_ms', unit: 'ms', what: 'Plankton: Swift container listing latency, median' },
  { key: 'swift_list_p99_ms', unit: 'ms', what: 'Plankton: Swift container listing latency, 99th percentile' },
  { key: 'seeded_images', unit: 'images', what: 'Plankton: images in the database during HEAD/list' },
  {
    key: 'concurrent_upload_mib_s',
    unit: 'MiB/s',
    what: 'Plankton: 8 object PUTs at once, each of its own fresh file of an eighth of the data size (8 × 256 MiB; quick: 8 × 32 MiB), all bytes over the wall time until the last reply',
  },
  {
    key: 'seeded_images_1m',
    unit: 'images',
    what: 'Plankton: images in the database after growing it to ten times `seeded_images` (1,000,000; quick: 100,000)',
  },
  {
    key: 'seed_growth_s',
    unit: 's',
    what: 'Plankton: seconds the SQL seeder took to grow the catalogue from `seeded_images` to `seeded_images_1m` (server stopped)',
  },
  {
    key: 'list_rps_1m',
    unit: 'req/s',
    what: 'Plankton: the same list page as `list_rps` under wrk, at `seeded_images_1m` images (server restarted on the grown database)',
  },
  { key: 'list_p50_ms_1m', unit: 'ms', what: 'Plankton: list latency at `seeded_images_1m` images, median' },
  { key: 'list_p99_ms_1m', unit: 'ms', what: 'Plankton: list latency at `seeded_images_1m` images, 99th percentile' },
  {
    key: 'list_1c_rps',
    unit: 'req/s',
    what: 'Plankton: the same list page with one wrk connection (one request at a time)',
  },
  { key: 'list_1c_p50_ms', unit: 'ms', what: 'Plankton: list latency with one connection, median' },
  { key: 'list_1c_p99_ms', unit: 'ms', what: 'Plankton: list latency with one connection, 99th percentile' },
  {
    key: 'max_rss_mb',
    unit: 'MB',
    what: 'Plankton: peak memory over the whole run: VmHWM of one process; with workers the peak sum of the Pss of the primary and its workers (shared pages counted once)',
  },
  { key: 'workers', unit: 'processes', what: 'Plankton: HTTP worker processes of `serve` (`--workers`)' },
  // Plankton, distributed configuration
  {
    key: 'pg_s3_object_put_mib_s',
    unit: 'MiB/s',
    what: 'Plankton on PostgreSQL + S3 (Swift s3api): object PUT of the data file (raw, Content-Length)',
  },
  { key: 'pg_s3_object_get_mib_s', unit: 'MiB/s', what: 'Plankton on PostgreSQL + S3: object GET (best of 2)' },
  { key: 'pg_s3_head_rps', unit: 'req/s', what: 'Plankton on PostgreSQL + S3: HEAD /image/v1.0/images/<id> under wrk' },
  { key: 'pg_s3_head_p50_ms', unit: 'ms', what: 'Plankton on PostgreSQL + S3: HEAD latency, median' },
  { key: 'pg_s3_head_p99_ms', unit: 'ms', what: 'Plankton on PostgreSQL + S3: HEAD latency, 99th percentile' },
  {
    key: 'pg_s3_list_rps',
    unit: 'req/s',
    what: 'Plankton on PostgreSQL + S3: GET /image/v1.0/images/detail?limit=100&disk_format=diskdump under wrk',
  },
  { key: 'pg_s3_list_p50_ms', unit: 'ms', what: 'Plankton on PostgreSQL + S3: list latency, median' },
  { key: 'pg_s3_list_p99_ms', unit: 'ms', what: 'Plankton on PostgreSQL + S3: list latency, 99th percentile' },
  {
    key: 'pg_s3_seeded_images',
    unit: 'images',
    what: 'Plankton on PostgreSQL + S3: images seeded into PostgreSQL through SQL for HEAD/list',
  },
  {
    key: 'pg_s3_max_rss_mb',
    unit: 'MB',
    what: 'Plankton on PostgreSQL + S3: peak memory of the server (as `max_rss_mb`; PostgreSQL and Swift not counted)',
  },
  // peers
  { key: 'glance_upload_mib_s', unit: 'MiB/s', what: 'Glance 25: PUT /v2/images/<id>/file' },
  { key: 'glance_download_mib_s', unit: 'MiB/s', what: 'Glance 25: GET /v2/images/<id>/file' },
  { key: 'glance_head_rps', unit: 'req/s', what: 'Glance 25: GET /v2/images/<id> (v2 has no HEAD) under wrk' },
  { key: 'glance_head_p50_ms', unit: 'ms', what: 'Glance 25: image GET latency, median' },
  { key: 'glance_head_p99_ms', unit: 'ms', what: 'Glance 25: image GET latency, 99th percentile' },
  { key: 'glance_list_rps', unit: 'req/s', what: 'Glance 25: GET /v2/images?limit=100&disk_format=raw under wrk' },
  { key: 'glance_list_p50_ms', unit: 'ms', what: 'Glance 25: list latency, median' },
  { key: 'glance_list_p99_ms', unit: 'ms', what: 'Glance 25: list latency, 99th percentile' },
  { key: 'glance_seeded_images', unit: 'images', what: 'Glance 25: images in its database during the wrk runs' },
  { key: 'glance_max_rss_mb', unit: 'MB', what: 'Glance 25: peak summed RSS of glance-api and its workers' },
  { key: 'swift_upload_mib_s', unit: 'MiB/s', what: 'Swift 2.30: object PUT through the proxy' },
  { key: 'swift_download_mib_s', unit: 'MiB/s', what: 'Swift 2.30: object GET through the proxy' },
  {
    key: 'swift_max_rss_mb',
    unit: 'MB',
    what: 'Swift 2.30: peak summed RSS of proxy, object, container, account servers and memcached',
  },
  { key: 'data_mib', unit: 'MiB', what: 'size of the file every transfer moves' },
] as const satisfies readonly MetricInfo[];

export type MetricKey = (typeof METRICS)[number]['key'];
