/**
 * A v1 list page renders its times without a Date (time.ts: imageTime), its names without a byte
 * copy when nothing needs escaping (percent.ts) and an image's properties without a copy when
 * nothing is added (image-rendering.ts). Each fast form must give exactly what the form it
 * replaced gave: these tests hold them equal on ordinary and awkward values.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imageDetail } from '../../src/api/image/v1/image-rendering.ts';
import { encodeHeaderValue, quote } from '../../src/api/http/percent.ts';
import type { ImageListItem } from '../../src/domain/images/image-model.ts';
import { imageTime } from '../../src/domain/time.ts';

const base: ImageListItem = {
  id: '3793dfab-d69c-4c0a-b2b0-7a097e0c0158',
  name: 'debian-12',
  diskFormat: 'diskdump',
  containerFormat: 'bare',
  status: 'available',
  minRam: 0,
  minDisk: 0,
  protected: false,
  createdAt: 1_795_721_891_118_558,
  updatedAt: 1_795_721_899_000_001,
  virtualSize: null,
  object: { account: '3793dfab-d69c-4c0a-b2b0-7a097e0c0158', container: 'images', name: 'debian-12.diskdump' },
  owner: '3793dfab-d69c-4c0a-b2b0-7a097e0c0158',
  size: 2_147_483_648,
  checksum: 'd41d8cd98f00b204e9800998ecf8427e',
  isPublic: true,
  properties: { osfamily: 'linux', users: 'root' },
};

const awkward: ImageListItem[] = [
  base,
  { ...base, isPublic: false, protected: true, properties: {} },
  { ...base, status: 'uploading', checksum: '', size: 0, minRam: 512, minDisk: 20 },
  { ...base, status: 'importing' },
  {
    ...base,
    name: 'quote " backslash \\ tab \t nul \u0000 newline \n é ü 日本 \ud83d\ude00 lone \ud800',
    object: { account: base.owner, container: 'c o/n', name: 'na%me?#&\u2028 ü' },
    properties: { 'key "q"': 'v\\al\nue', é: '日本', '': '' },
  },
  // virtual_size shown for header formats, over a stored property of that name, in its place
  { ...base, diskFormat: 'qcow2', virtualSize: 10_737_418_240, properties: { a: '1', virtual_size: 'x', z: '2' } },
  { ...base, diskFormat: 'qcow2', virtualSize: 1, properties: {} },
  // …not for raw-like formats
  { ...base, diskFormat: 'raw', virtualSize: 5, properties: { b: '2' } },
  { ...base, createdAt: 0, updatedAt: 951_782_400_000_000 }, // 1970-01-01, 2000-02-29
];

/** The detail object as it was rendered before (every field spelled out, the properties always copied). */
function slowDetail(image: ImageListItem) {
  const properties: Record<string, string> = { ...image.properties };
  if (image.virtualSize !== null && ['qcow2', 'vmdk', 'vhd', 'vhdx', 'vdi', 'iso'].includes(image.diskFormat))
    properties.virtual_size = String(image.virtualSize);
  const time = (us: number) => new Date(Math.floor(us / 1000)).toISOString().slice(0, 19).replace('T', ' ');
  const q = (s: string) =>
    [...Buffer.from(s)]
      .map((b) =>
        /[A-Za-z0-9_.\-/]/.test(String.fromCharCode(b))
          ? String.fromCharCode(b)
          : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
      )
      .join('');
  const status = image.status === 'uploading' || image.status === 'importing' ? 'saving' : image.status;
  return {
    id: image.id,
    name: image.name,
    status,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    size: image.size,
    checksum: image.checksum,
    location: `pithos://${q(image.object.account)}/${q(image.object.container)}/${q(image.object.name)}`,
    created_at: time(image.createdAt),
    updated_at: time(image.updatedAt),
    deleted_at: '',
    is_public: image.isPublic,
    owner: image.owner,
    properties,
    is_snapshot: false,
    min_ram: image.minRam,
    min_disk: image.minDisk,
    protected: image.protected,
  };
}

test('the detail object serializes to the same bytes as before, on awkward values', () => {
  for (const item of awkward) assert.equal(JSON.stringify(imageDetail(item)), JSON.stringify(slowDetail(item)));
  // the computed virtual_size replaces a stored one in its place
  assert.equal(JSON.stringify(imageDetail(awkward[5]).properties), '{"a":"1","virtual_size":"10737418240","z":"2"}');
});

const dateImageTime = (us: number) => new Date(Math.floor(us / 1000)).toISOString().slice(0, 19).replace('T', ' ');

test('imageTime equals the Date-based form, across leap years, centuries and the limits of four-digit years', () => {
  const day = 86_400_000_000;
  const fixed = [
    0,
    1,
    999_999,
    1_000_000,
    -1,
    day - 1,
    951_782_400_000_000, // 2000-02-29
    4_107_542_400_000_000, // 2100-03-01
    -62_135_596_800_000_000, // 0001-01-01
    253_402_300_799_000_000, // 9999-12-31 23:59:59
    -2_208_988_800_000_000, // 1900-01-01
    1_795_721_891_118_558,
  ];
  for (const us of fixed) assert.equal(imageTime(us), dateImageTime(us), String(us));
  let seed = 12345;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  for (let n = 0; n < 20_000; n++) {
    // any microsecond between year 1 and 9999, and densely around now
    const us =
      n % 2 === 0
        ? Math.floor(-62_135_596_800_000_000 + next() * 315_537_897_599_000_000)
        : Math.floor(1_700_000_000_000_000 + next() * 400 * 365 * day);
    assert.equal(imageTime(us), dateImageTime(us), String(us));
  }
});

test('percent-encoders: values needing no escape come back unchanged, others encoded byte by byte', () => {
  assert.equal(quote('abc-XYZ_0.9/'), 'abc-XYZ_0.9/');
  assert.equal(quote('a b'), 'a%20b');
  assert.equal(quote('é'), '%C3%A9');
  assert.equal(quote('a]b^c\\d'), 'a%5Db%5Ec%5Cd');
  assert.equal(quote(''), '');
  assert.equal(encodeHeaderValue('a b=c,d:e@f;"g"+h'), 'a b=c,d:e@f;"g"+h');
  assert.equal(encodeHeaderValue('a\nb'), 'a%0Ab');
  assert.equal(encodeHeaderValue('-]'), '-%5D');
});
