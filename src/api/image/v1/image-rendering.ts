/**
 * How an image looks on the wire (image-api.md §6): `x-image-meta-*` headers spelled with
 * underscores as Glance v1 sent them (glanceclient builds its image object from those names), and
 * the JSON detail and summary objects.
 */
import { byCodePoint } from '../../../domain/code-point-order.ts';
import { imageTime } from '../../../domain/time.ts';
import type { ImageListItem, ImageView } from '../../../domain/images/image-model.ts';
import { isMd5 } from '../../../domain/images/image-values.ts';
import { DETECTED_FORMATS } from '../../../domain/images/inspection/index.ts';
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
    'x-image-meta-status': v1Status(image.status),
    'x-image-meta-is_public': pyBool(image.isPublic),
    'x-image-meta-owner': image.owner,
    'x-image-meta-is_snapshot': 'False',
    'x-image-meta-description': '',
    'x-image-meta-min_ram': String(image.minRam),
    'x-image-meta-min_disk': String(image.minDisk),
    'x-image-meta-protected': pyBool(image.protected),
  };
  if (opts.checksum !== 'md5-only' || isMd5(image.checksum)) h['x-image-meta-checksum'] = image.checksum;
  const properties = v1Properties(image);
  for (const key of Object.keys(properties).sort(byCodePoint)) {
    h[`x-image-meta-property-${quote(key)}`] = quote(properties[key]);
  }
  return h;
}

/** v1 knows no import states: `uploading`/`importing` read as `saving` (openstack.md §5.2). */
export const v1Status = (status: string): string =>
  status === 'uploading' || status === 'importing' ? 'saving' : status;

/**
 * Glance v1 has no virtual_size field; Plankton shows the inspected one as the property
 * `virtual_size` (v2's name) on images whose disk_format has a header that says it (qcow2,
 * vmdk, vhd, vhdx, vdi, iso) and whose content is that format. A raw-like image (`raw`, the
 * dump formats, ami/ari/aki) is its own disk, so its virtual size is just its size: nothing new
 * is said, and those images look exactly as Synnefo's v1 showed them. The property is computed:
 * it wins over a stored property of that name (a client sending back what it read changes nothing).
 */
export const VIRTUAL_SIZE_PROPERTY = 'virtual_size';

function v1Properties(
  image: Pick<ImageView, 'properties' | 'virtualSize' | 'diskFormat'>,
): Readonly<Record<string, string>> {
  // Copied only when something is added (a list page renders a hundred; most have nothing to add).
  if (image.virtualSize === null || !hasHeaderFormat(image.diskFormat)) return image.properties;
  return { ...image.properties, [VIRTUAL_SIZE_PROPERTY]: String(image.virtualSize) };
}

const hasHeaderFormat = (diskFormat: string) =>
  diskFormat !== 'raw' && (DETECTED_FORMATS as readonly string[]).includes(diskFormat);

/** §6.2 */
export function imageDetail(image: ImageListItem) {
  return {
    id: image.id,
    name: image.name,
    status: v1Status(image.status),
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
    properties: v1Properties(image),
    is_snapshot: false,
    min_ram: image.minRam,
    min_disk: image.minDisk,
    protected: image.protected,
  };
}

/** The summary object of §5.2: exactly these six keys. */
export function imageSummary(image: ImageListItem) {
  return {
    id: image.id,
    name: image.name,
    status: v1Status(image.status),
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    size: image.size,
  };
}
