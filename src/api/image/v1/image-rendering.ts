/**
 * How an image looks on the wire (image-api.md §6): `x-image-meta-*` headers spelled with
 * underscores as Glance v1 sent them (glanceclient builds its image object from those names), and
 * the JSON detail and summary objects.
 */
import { byCodePoint } from '../../../domain/code-point-order.ts';
import { imageTime } from '../../../domain/time.ts';
import type { ImageView } from '../../../domain/images/image-model.ts';
import { isMd5 } from '../../../domain/images/image-values.ts';
import { quote } from '../../http/percent.ts';
import { renderLocation } from './image-metadata-headers.ts';

const pyBool = (b: boolean) => (b ? 'True' : 'False');

/** Code-point order, whatever the characters (never `localeCompare`). */

/**
 * §6.1. Free text goes through `q`, so no stored value can inject a header. With
 * `checksum: 'md5-only'` (image data replies) the checksum is sent only when glanceclient can
 * verify the download against it.
 */
export function imageHeaders(
  image: ImageView,
  opts: { checksum?: 'always' | 'md5-only' } = {},
): Record<string, string> {
  const h: Record<string, string> = {
    'x-image-meta-id': image.id,
    'x-image-meta-name': quote(image.name),
    'x-image-meta-disk_format': image.diskFormat,
    'x-image-meta-container_format': image.containerFormat,
    'x-image-meta-size': String(image.size),
    'x-image-meta-location': renderLocation(image.object),
    'x-image-meta-created_at': imageTime(image.createdAt),
    'x-image-meta-updated_at': imageTime(image.updatedAt),
    'x-image-meta-deleted_at': '',
    'x-image-meta-status': image.status,
    'x-image-meta-is_public': pyBool(image.isPublic),
    'x-image-meta-owner': image.owner,
    'x-image-meta-is_snapshot': 'False',
    'x-image-meta-description': '',
    'x-image-meta-min_ram': String(image.minRam),
    'x-image-meta-min_disk': String(image.minDisk),
    'x-image-meta-protected': pyBool(image.protected),
  };
  if (opts.checksum !== 'md5-only' || isMd5(image.checksum)) h['x-image-meta-checksum'] = image.checksum;
  for (const key of Object.keys(image.properties).sort(byCodePoint)) {
    h[`x-image-meta-property-${quote(key)}`] = quote(image.properties[key]);
  }
  return h;
}

/** §6.2 */
export function imageDetail(image: ImageView) {
  return {
    id: image.id,
    name: image.name,
    status: image.status,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    size: image.size,
    checksum: image.checksum,
    location: renderLocation(image.object),
    created_at: imageTime(image.createdAt),
    updated_at: imageTime(image.updatedAt),
    deleted_at: '',
    is_public: image.isPublic,
    owner: image.owner,
    properties: { ...image.properties },
    is_snapshot: false,
    min_ram: image.minRam,
    min_disk: image.minDisk,
    protected: image.protected,
  };
}

/** The summary object of §5.2: exactly these six keys. */
export function imageSummary(image: ImageView) {
  return {
    id: image.id,
    name: image.name,
    status: image.status,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    size: image.size,
  };
}
