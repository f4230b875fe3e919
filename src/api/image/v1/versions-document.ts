/** E0: the versions document (image-api.md §5.1). Both prefixes reach the same handlers. */
export function versionsDocument(publicUrl: string) {
  // Plankton's compute media type, kept verbatim.
  const version = (id: string) => ({
    id,
    status: 'CURRENT',
    links: [{ rel: 'self', href: `${publicUrl}/image/${id}/` }],
    media_types: [{ base: 'application/json', type: 'application/vnd.openstack.compute.v2+json' }],
  });
  return { versions: [version('v1.0'), version('v1')] };
}
