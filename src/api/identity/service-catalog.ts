/** The service catalog of identity.md §1.2: one endpoint per service, all on this listener. */
export function serviceCatalog(publicUrl: string) {
  const entry = (name: string, type: string, versionId: string, path: string) => ({
    name,
    type,
    endpoints_links: [],
    endpoints: [{ versionId, publicURL: publicUrl + path, 'SNF:uiURL': `${publicUrl}/ui`, region: 'default' }],
  });
  return [
    entry('astakos_account', 'account', 'v1.0', '/account/v1.0'),
    entry('astakos_identity', 'identity', 'v2.0', '/identity/v2.0'),
    entry('pithos_object-store', 'object-store', 'v1', '/object-store/v1'),
    entry('cyclades_plankton', 'image', 'v1.0', '/image/v1.0'),
  ];
}
