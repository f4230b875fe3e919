/**
 * Swift's versioned writes on the one history (domain/objects/versions.ts).
 *
 * `X-Versions-Location: <container>` (stack mode) and `X-History-Location: <container>` (history
 * mode) on a container PUT/POST set its Pithos policy `versioning: auto` and remember the
 * location and the mode; an empty value or `X-Remove-Versions-Location` /
 * `X-Remove-History-Location` clears them and sets `versioning: none`. Containers created
 * through the Swift mount start with `versioning: none` (Swift keeps nothing unless asked;
 * Pithos's own default stays `auto`).
 *
 * Decision: the history is not copied into the location container. Swift names archived
 * versions `<3-hex-digit name length><name>/<timestamp>` objects there; here every kept version
 * stays in the one history table, where both mounts read it (`?version=list`,
 * `?version=<id>`, `X-Source-Version`), so an overwrite costs one row and no object, and a
 * Pithos client and a Swift client see the same versions. The location is stored and echoed,
 * and need not exist. Overwrites keep the old version in both modes; a DELETE in stack mode
 * drops the live version and brings back the newest kept one (an empty history: the object is
 * gone), and in history mode keeps the deleted version like Pithos's `auto`.
 */
import type { IncomingMessage } from 'node:http';
import { badRequest, ServiceError } from '../../errors.ts';
import type { ContainerRecord, Policy } from '../../domain/objects/containers.ts';
import { decodeHeaderText } from '../http/percent.ts';
import type { HeaderMap } from '../http/reply.ts';

const LAST = (req: IncomingMessage, name: string): string | undefined => {
  let value: string | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === name) value = raw[i + 1];
  if (value === undefined) return undefined;
  const text = decodeHeaderText(value.trim(), false);
  if (text === undefined) throw badRequest('Bad character in headers.');
  return text;
};

/** The versioning policy a Swift container PUT/POST asks for (nothing when it names none). */
export function readSwiftVersioning(req: IncomingMessage): Policy {
  const stack = LAST(req, 'x-versions-location');
  const history = LAST(req, 'x-history-location');
  const removed =
    req.headers['x-remove-versions-location'] !== undefined || req.headers['x-remove-history-location'] !== undefined;
  if (stack && history) throw badRequest('Only one of X-Versions-Location or X-History-Location may be specified');
  const location = stack || history;
  if (location) {
    if (location.includes('/')) throw new ServiceError('preconditionFailed', 'Container name cannot contain slashes');
    if ([...location].length > 256) throw badRequest('Container name length of 256 exceeded');
    return { versioning: 'auto', versionsLocation: location, versionsMode: stack ? 'stack' : 'history' };
  }
  if (removed || stack === '' || history === '')
    return { versioning: 'none', versionsLocation: null, versionsMode: null };
  return {};
}

/** `X-Versions-Location` or `X-History-Location` on a container HEAD/GET, when set. */
export function swiftVersioningHeaders(c: ContainerRecord): HeaderMap {
  if (!c.versionsLocation) return {};
  return c.versionsMode === 'history'
    ? { 'X-History-Location': c.versionsLocation }
    : { 'X-Versions-Location': c.versionsLocation };
}
