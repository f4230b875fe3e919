// The Plankton web catalog: login, catalog, image page, upload, account. Preact + htm, no build.
import {
  ApiError,
  call,
  image,
  issueToken,
  listContainers,
  listObjects,
  listTokens,
  namesOf,
  registerObject,
  revokeToken,
  uploadFile,
  uuidOf,
} from './api.js';
import { humanDate, humanRate, humanSize } from './format.js';
import { html, render, useCallback, useEffect, useRef, useState } from './vendor-preact-htm.js';

const DISK_FORMATS_FALLBACK = ['raw', 'qcow2', 'vmdk', 'vdi', 'vhd', 'iso', 'diskdump'];
const CONTAINER_FORMATS_FALLBACK = ['bare', 'ovf'];
const STATUSES = ['queued', 'saving', 'active', 'deactivated', 'killed', 'deleted', 'pending_delete'];
const SORT_KEYS = ['created_at', 'updated_at', 'name', 'size', 'status', 'disk_format'];
const PAGE_SIZE = 20;
/** Fields of a v2 image that are not custom properties. */
const CORE_FIELDS = new Set([
  'id',
  'name',
  'status',
  'visibility',
  'protected',
  'os_hidden',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'owner',
  'size',
  'virtual_size',
  'min_ram',
  'min_disk',
  'disk_format',
  'container_format',
  'created_at',
  'updated_at',
  'tags',
  'self',
  'file',
  'schema',
  'direct_url',
  'locations',
]);

// --- routing: #/ (catalog), #/image/<id>, #/upload, #/account -----------------------------------
function useRoute() {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const on = () => setHash(location.hash || '#/');
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash.slice(1);
}

function useSchema(me) {
  const [schema, setSchema] = useState({ disk: DISK_FORMATS_FALLBACK, container: CONTAINER_FORMATS_FALLBACK });
  useEffect(() => {
    if (!me) return;
    image('/schemas/image')
      .then((s) => {
        const disk = s.properties?.disk_format?.enum?.filter((v) => v !== null);
        const container = s.properties?.container_format?.enum?.filter((v) => v !== null);
        setSchema({ disk: disk ?? DISK_FORMATS_FALLBACK, container: container ?? CONTAINER_FORMATS_FALLBACK });
      })
      .catch(() => undefined);
  }, [me]);
  return schema;
}

function ErrorNote({ error }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : null;
}

// --- login -------------------------------------------------------------------------------------
function Login({ onLogin }) {
  const [mode, setMode] = useState('password');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const body =
      mode === 'password'
        ? { username: form.get('username'), password: form.get('password') }
        : { token: form.get('token') };
    setBusy(true);
    setError('');
    try {
      await call('/session', { method: 'POST', body });
      onLogin();
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="login">
    <h1>Plankton images</h1>
    <form onSubmit=${submit} aria-labelledby="login-title">
      <h2 id="login-title">Log in</h2>
      <fieldset>
        <legend>How</legend>
        <label><input type="radio" name="mode" checked=${mode === 'password'} onChange=${() => setMode('password')} /> User name and password</label>
        <label><input type="radio" name="mode" checked=${mode === 'token'} onChange=${() => setMode('token')} /> A token</label>
      </fieldset>
      ${
        mode === 'password'
          ? html`<label for="username">User name</label>
              <input id="username" name="username" autocomplete="username" required />
              <label for="password">Password</label>
              <input id="password" name="password" type="password" autocomplete="current-password" required />`
          : html`<label for="token">Token</label>
              <input id="token" name="token" type="password" autocomplete="off" required />`
      }
      <button type="submit" disabled=${busy}>Log in</button>
      <${ErrorNote} error=${error} />
    </form>
  </main>`;
}

// --- catalog -----------------------------------------------------------------------------------
const TABS = [
  { id: 'mine', label: 'My images' },
  { id: 'shared', label: 'Shared with me' },
  { id: 'public', label: 'Public' },
  { id: 'community', label: 'Community' },
];

function listQuery(me, tab, filters, marker) {
  const q = new URLSearchParams();
  if (tab === 'mine') q.set('owner', me.id);
  else q.set('visibility', tab);
  if (tab === 'shared') q.set('member_status', 'all');
  // Plankton's substring filter (src/api/image/v2/README.md, "Name search"), ignoring case.
  if (filters.name) q.set('name', `contains:${filters.name}`);
  if (filters.disk_format) q.set('disk_format', filters.disk_format);
  if (filters.status) q.set('status', filters.status);
  if (filters.tag) q.set('tag', filters.tag);
  q.set('sort_key', filters.sort_key);
  q.set('sort_dir', filters.sort_dir);
  q.set('limit', String(PAGE_SIZE));
  if (marker) q.set('marker', marker);
  return q;
}

function Catalog({ me, schema }) {
  const [tab, setTab] = useState('mine');
  const [filters, setFilters] = useState({
    name: '',
    disk_format: '',
    status: '',
    tag: '',
    sort_key: 'created_at',
    sort_dir: 'desc',
  });
  const [markers, setMarkers] = useState([undefined]); // one per page seen: paging back is popping
  const [page, setPage] = useState({ images: [], next: undefined, owners: {}, memberships: {} });
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(true);
  const marker = markers[markers.length - 1];

  const load = useCallback(async () => {
    setLoading(true);
    setError('');
    try {
      const doc = await image(`/images?${listQuery(me, tab, filters, marker)}`);
      const next = doc.next ? new URLSearchParams(doc.next.split('?')[1] ?? '').get('marker') : undefined;
      const owners = await namesOf(doc.images.map((i) => i.owner)).catch(() => ({}));
      const memberships = {};
      if (tab === 'shared') {
        await Promise.all(
          doc.images.map(async (i) => {
            memberships[i.id] = await image(`/images/${i.id}/members/${me.id}`).catch(() => undefined);
          }),
        );
      }
      setPage({ images: doc.images, next, owners, memberships });
    } catch (err) {
      setError(err.message);
    } finally {
      setLoading(false);
    }
  }, [me, tab, filters, marker]);
  useEffect(() => {
    load();
  }, [load]);

  const applyFilters = (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setFilters(
      Object.fromEntries(
        ['name', 'disk_format', 'status', 'tag', 'sort_key', 'sort_dir'].map((k) => [k, String(f.get(k) ?? '')]),
      ),
    );
    setMarkers([undefined]);
  };
  const chooseTab = (id) => {
    setTab(id);
    setMarkers([undefined]);
  };
  const answer = async (id, status) => {
    try {
      await image(`/images/${id}/members/${me.id}`, { method: 'PUT', body: { status } });
      await load();
    } catch (err) {
      setError(err.message);
    }
  };

  return html`<section aria-labelledby="catalog-title">
    <h1 id="catalog-title">Images</h1>
    <div role="tablist" aria-label="Which images" class="tabs">
      ${TABS.map(
        (t) =>
          html`<button role="tab" id=${`tab-${t.id}`} aria-selected=${tab === t.id ? 'true' : 'false'} onClick=${() => chooseTab(t.id)}>${t.label}</button>`,
      )}
    </div>
    <form class="filters" onSubmit=${applyFilters} aria-label="Search and filters">
      <label>Name contains <input name="name" type="search" value=${filters.name} /></label>
      <label>Disk format
        <select name="disk_format" value=${filters.disk_format}>
          <option value="">any</option>
          ${schema.disk.map((d) => html`<option value=${d}>${d}</option>`)}
        </select>
      </label>
      <label>Status
        <select name="status" value=${filters.status}>
          <option value="">any</option>
          ${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
        </select>
      </label>
      <label>Tag <input name="tag" value=${filters.tag} /></label>
      <label>Sort by
        <select name="sort_key" value=${filters.sort_key}>
          ${SORT_KEYS.map((k) => html`<option value=${k}>${k.replace('_', ' ')}</option>`)}
        </select>
      </label>
      <label>Order
        <select name="sort_dir" value=${filters.sort_dir}>
          <option value="desc">descending</option>
          <option value="asc">ascending</option>
        </select>
      </label>
      <button type="submit">Search</button>
    </form>
    <${ErrorNote} error=${error} />
    <p class="status-line" aria-live="polite">${loading ? 'Loading…' : `${page.images.length} image${page.images.length === 1 ? '' : 's'} on this page`}</p>
    <div class="table-wrap">
      <table class="images">
        <thead>
          <tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Format</th><th scope="col">Size</th><th scope="col">Visibility</th><th scope="col">Owner</th><th scope="col">Created</th>${tab === 'shared' ? html`<th scope="col">Membership</th>` : null}</tr>
        </thead>
        <tbody>
          ${page.images.map(
            (i) => html`<tr data-image-id=${i.id}>
              <td><a href=${`#/image/${i.id}`}>${i.name || '(no name)'}</a></td>
              <td><span class=${`badge ${i.status}`}>${i.status}</span></td>
              <td>${i.disk_format ?? '—'}/${i.container_format ?? '—'}</td>
              <td>${humanSize(i.size)}</td>
              <td>${i.visibility}</td>
              <td>${page.owners[i.owner] ?? i.owner}</td>
              <td>${humanDate(i.created_at)}</td>
              ${tab === 'shared' ? html`<td><${Membership} member=${page.memberships[i.id]} name=${i.name} onAnswer=${(s) => answer(i.id, s)} /></td>` : null}
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled=${markers.length <= 1} onClick=${() => setMarkers(markers.slice(0, -1))}>Previous page</button>
      <button type="button" disabled=${!page.next} onClick=${() => setMarkers([...markers, page.next])}>Next page</button>
    </nav>
  </section>`;
}

function Membership({ member, name, onAnswer }) {
  if (!member) return '—';
  return html`<span class=${`badge ${member.status}`}>${member.status}</span>
    ${member.status !== 'accepted' ? html` <button type="button" onClick=${() => onAnswer('accepted')} aria-label=${`Accept ${name}`}>Accept</button>` : null}
    ${member.status !== 'rejected' ? html` <button type="button" onClick=${() => onAnswer('rejected')} aria-label=${`Reject ${name}`}>Reject</button>` : null}`;
}

// --- image page --------------------------------------------------------------------------------
function ImagePage({ id, me }) {
  const [img, setImg] = useState(undefined);
  const [ownerName, setOwnerName] = useState('');
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [confirmDelete, setConfirmDelete] = useState(false);

  const load = useCallback(async () => {
    try {
      const doc = await image(`/images/${id}`);
      setImg(doc);
      const names = await namesOf([doc.owner]).catch(() => ({}));
      setOwnerName(names[doc.owner] ?? doc.owner);
    } catch (err) {
      setError(err.status === 404 ? 'No such image (or not visible to you).' : err.message);
    }
  }, [id]);
  useEffect(() => {
    load();
  }, [load]);

  const act = async (what, fn) => {
    setError('');
    setNotice('');
    try {
      await fn();
      setNotice(what);
      await load();
    } catch (err) {
      setError(err.message);
    }
  };
  if (!img) return html`<section><${ErrorNote} error=${error} />${error ? null : html`<p>Loading…</p>`}</section>`;
  const mine = img.owner === me.id;
  const properties = Object.keys(img)
    .filter((k) => !CORE_FIELDS.has(k))
    .sort();

  const save = (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const ops = [];
    const name = String(f.get('name'));
    if (name !== (img.name ?? '')) ops.push({ op: 'replace', path: '/name', value: name });
    const visibility = String(f.get('visibility'));
    if (visibility !== img.visibility) ops.push({ op: 'replace', path: '/visibility', value: visibility });
    const prot = f.get('protected') === 'on';
    if (prot !== img.protected) ops.push({ op: 'replace', path: '/protected', value: prot });
    const tags = String(f.get('tags'))
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (tags.join('\n') !== img.tags.join('\n')) ops.push({ op: 'replace', path: '/tags', value: tags });
    for (const k of properties) {
      if (f.get(`remove-${k}`) === 'on') ops.push({ op: 'remove', path: `/${k}` });
      else if (String(f.get(`prop-${k}`)) !== String(img[k]))
        ops.push({ op: 'replace', path: `/${k}`, value: String(f.get(`prop-${k}`)) });
    }
    const newKey = String(f.get('new-key')).trim();
    if (newKey) ops.push({ op: 'add', path: `/${newKey}`, value: String(f.get('new-value')) });
    if (ops.length === 0) return;
    act('Saved.', () =>
      image(`/images/${id}`, { method: 'PATCH', body: ops, type: 'application/openstack-images-v2.1-json-patch' }),
    ).then(() => e.target?.reset?.());
  };

  return html`<section aria-labelledby="image-title">
    <p><a href="#/">← All images</a></p>
    <h1 id="image-title">${img.name || '(no name)'}</h1>
    <${ErrorNote} error=${error} />
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : null}
    <dl class="fields">
      <dt>ID</dt><dd><code>${img.id}</code></dd>
      <dt>Status</dt><dd><span class=${`badge ${img.status}`}>${img.status}</span></dd>
      <dt>Visibility</dt><dd>${img.visibility}</dd>
      <dt>Protected</dt><dd>${img.protected ? 'yes' : 'no'}</dd>
      <dt>Owner</dt><dd>${ownerName}</dd>
      <dt>Disk / container format</dt><dd>${img.disk_format ?? '—'} / ${img.container_format ?? '—'}</dd>
      <dt>Size</dt><dd>${humanSize(img.size)}${img.size ? ` (${img.size} bytes)` : ''}</dd>
      <dt>Virtual size</dt><dd>${humanSize(img.virtual_size)}</dd>
      <dt>MD5 checksum</dt><dd><code class="checksum">${img.checksum ?? '—'}</code></dd>
      <dt>${img.os_hash_algo ?? 'Hash'}</dt><dd><code class="hash">${img.os_hash_value ?? '—'}</code></dd>
      <dt>Min RAM / disk</dt><dd>${img.min_ram} MiB / ${img.min_disk} GiB</dd>
      <dt>Tags</dt><dd>${img.tags.length ? img.tags.join(', ') : '—'}</dd>
      <dt>Created</dt><dd>${humanDate(img.created_at)}</dd>
      <dt>Updated</dt><dd>${humanDate(img.updated_at)}</dd>
      ${img.direct_url ? html`<dt>Location</dt><dd><code>${img.direct_url}</code></dd>` : null}
      ${properties.map((k) => html`<dt>${k}</dt><dd class="prop" data-key=${k}>${String(img[k])}</dd>`)}
    </dl>
    ${img.status === 'active' ? html`<p><a class="button" href=${`/ui/download/${img.id}`} download>Download</a></p>` : null}
    ${
      mine
        ? html`<form class="edit" onSubmit=${save} aria-labelledby="edit-title">
            <h2 id="edit-title">Edit</h2>
            <label for="edit-name">Name</label><input id="edit-name" name="name" value=${img.name ?? ''} />
            <label for="edit-visibility">Visibility</label>
            <select id="edit-visibility" name="visibility" value=${img.visibility}>
              ${['private', 'shared', 'community', 'public'].map((v) => html`<option value=${v}>${v}</option>`)}
            </select>
            <label><input type="checkbox" name="protected" checked=${img.protected} /> Protected (cannot be deleted)</label>
            <label for="edit-tags">Tags (comma-separated)</label><input id="edit-tags" name="tags" value=${img.tags.join(', ')} />
            <fieldset>
              <legend>Properties</legend>
              ${properties.map(
                (k) => html`<div class="prop-row">
                  <label for=${`prop-${k}`}>${k}</label>
                  <input id=${`prop-${k}`} name=${`prop-${k}`} value=${String(img[k])} />
                  <label><input type="checkbox" name=${`remove-${k}`} /> remove</label>
                </div>`,
              )}
              <div class="prop-row">
                <label for="new-key">New property</label><input id="new-key" name="new-key" placeholder="key" />
                <label for="new-value">Value</label><input id="new-value" name="new-value" placeholder="value" />
              </div>
            </fieldset>
            <button type="submit">Save</button>
          </form>
          ${img.visibility === 'shared' ? html`<${Members} id=${id} setError=${setError} />` : html`<p class="hint">Make the image <em>shared</em> to give it to other users.</p>`}
          <div class="actions">
            ${img.status === 'active' ? html`<button type="button" onClick=${() => act('Deactivated.', () => image(`/images/${id}/actions/deactivate`, { method: 'POST' }))}>Deactivate</button>` : null}
            ${img.status === 'deactivated' ? html`<button type="button" onClick=${() => act('Reactivated.', () => image(`/images/${id}/actions/reactivate`, { method: 'POST' }))}>Reactivate</button>` : null}
            ${
              confirmDelete
                ? html`<span role="group" aria-label="Confirm deletion">Delete “${img.name}” for good?
                    <button type="button" class="danger" onClick=${() =>
                      image(`/images/${id}`, { method: 'DELETE' }).then(
                        () => {
                          location.hash = '#/';
                        },
                        (err) => setError(err.message),
                      )}>Yes, delete</button>
                    <button type="button" onClick=${() => setConfirmDelete(false)}>Cancel</button></span>`
                : html`<button type="button" class="danger" onClick=${() => setConfirmDelete(true)}>Delete…</button>`
            }
          </div>`
        : null
    }
  </section>`;
}

function Members({ id, setError }) {
  const [members, setMembers] = useState([]);
  const [names, setNames] = useState({});
  const load = useCallback(async () => {
    try {
      const doc = await image(`/images/${id}/members`);
      setMembers(doc.members);
      setNames(await namesOf(doc.members.map((m) => m.member_id)).catch(() => ({})));
    } catch (err) {
      setError(err.message);
    }
  }, [id]);
  useEffect(() => {
    load();
  }, [load]);
  const add = async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const who = String(new FormData(form).get('member')).trim();
    try {
      const uuid = /^[0-9a-f-]{36}$/i.test(who) ? who : await uuidOf(who);
      if (!uuid) throw new ApiError(404, `No user named ${who}`);
      await image(`/images/${id}/members`, { method: 'POST', body: { member: uuid } });
      form.reset();
      await load();
    } catch (err) {
      setError(err.message);
    }
  };
  const remove = async (member) => {
    try {
      await image(`/images/${id}/members/${member}`, { method: 'DELETE' });
      await load();
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<section class="members" aria-labelledby="members-title">
    <h2 id="members-title">Members</h2>
    <ul>
      ${members.map(
        (
          m,
        ) => html`<li data-member=${m.member_id}>${names[m.member_id] ?? m.member_id} — <span class=${`badge ${m.status}`}>${m.status}</span>
          <button type="button" onClick=${() => remove(m.member_id)} aria-label=${`Remove ${names[m.member_id] ?? m.member_id}`}>Remove</button></li>`,
      )}
    </ul>
    <form onSubmit=${add}>
      <label for="member">Share with (user name or UUID)</label>
      <input id="member" name="member" required />
      <button type="submit">Add member</button>
    </form>
  </section>`;
}

// --- upload ------------------------------------------------------------------------------------
function Upload({ schema }) {
  const [state, setState] = useState({ phase: 'idle' });
  const abort = useRef(undefined);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const file = f.get('file');
    if (!(file instanceof File) || file.size === 0)
      return setState({ phase: 'error', error: 'Choose a non-empty file.' });
    let id;
    try {
      const created = await image('/images', {
        method: 'POST',
        body: {
          name: String(f.get('name')) || file.name,
          disk_format: String(f.get('disk_format')),
          container_format: String(f.get('container_format')),
          visibility: String(f.get('visibility')),
        },
      });
      id = created.id;
      const started = performance.now();
      setState({ phase: 'sending', id, loaded: 0, total: file.size, rate: 0 });
      const upload = uploadFile(id, file, (loaded, total) => {
        const seconds = (performance.now() - started) / 1000;
        setState({ phase: 'sending', id, loaded, total, rate: seconds > 0 ? loaded / seconds : 0 });
      });
      abort.current = upload.abort;
      await upload.promise;
      location.hash = `#/image/${id}`;
    } catch (err) {
      setState({ phase: 'error', id, error: err.message });
    } finally {
      abort.current = undefined;
    }
  };
  const sending = state.phase === 'sending';
  return html`<section aria-labelledby="upload-title">
    <h1 id="upload-title">Upload an image</h1>
    <form class="upload" onSubmit=${submit}>
      <label for="up-file">File</label><input id="up-file" name="file" type="file" required disabled=${sending} />
      <label for="up-name">Name</label><input id="up-name" name="name" placeholder="the file's name" disabled=${sending} />
      <label for="up-disk">Disk format</label>
      <select id="up-disk" name="disk_format" disabled=${sending}>${schema.disk.map((d) => html`<option value=${d} selected=${d === 'raw'}>${d}</option>`)}</select>
      <label for="up-container">Container format</label>
      <select id="up-container" name="container_format" disabled=${sending}>${schema.container.map((d) => html`<option value=${d} selected=${d === 'bare'}>${d}</option>`)}</select>
      <label for="up-visibility">Visibility</label>
      <select id="up-visibility" name="visibility" disabled=${sending}>${['private', 'shared', 'community', 'public'].map((v) => html`<option value=${v}>${v}</option>`)}</select>
      <button type="submit" disabled=${sending}>Upload</button>
    </form>
    ${
      sending
        ? html`<div class="progress">
            <label for="up-progress">Uploading</label>
            <progress id="up-progress" max=${state.total} value=${state.loaded}></progress>
            <p aria-live="polite">${humanSize(state.loaded)} of ${humanSize(state.total)} · ${humanRate(state.rate)}</p>
            <button type="button" onClick=${() => abort.current?.()}>Cancel upload</button>
          </div>`
        : null
    }
    ${state.phase === 'error' ? html`<p class="error" role="alert">${state.error}${state.id ? html` — the image stays <a href=${`#/image/${state.id}`}>queued</a>.` : null}</p>` : null}
  </section>`;
}

// --- account -----------------------------------------------------------------------------------
function Account({ me }) {
  const P = me.public_url;
  const clouds = `clouds:
  plankton:
    auth:
      auth_url: ${P}/identity
      username: ${me.user.name}
      password: <your password, or a token>
      project_name: ${me.user.name}
      user_domain_name: Default
      project_domain_name: Default
    region_name: ${me.region}
    identity_api_version: 3
    interface: public`;
  const lines = `# a token for the tools: issue one under "Tokens" above
export OS_CLOUD=plankton TOKEN=<token>
openstack image list
glance --os-image-url ${P}/image --os-auth-token "$TOKEN" image-list
swift --os-storage-url ${P}/object-store/v1/${me.user.id} --os-auth-token "$TOKEN" list

# kamaki (~/.kamakirc)
[cloud "plankton"]
url = ${P}/identity/v2.0
token = <token>`;
  return html`<section aria-labelledby="account-title">
    <h1 id="account-title">Account</h1>
    <dl class="fields">
      <dt>User name</dt><dd>${me.user.name}</dd>
      <dt>UUID (project id)</dt><dd><code>${me.user.id}</code></dd>
      <dt>This session</dt><dd>${me.kind === 'minted' ? 'password login' : 'token'}, until ${humanDate(me.expires_at)}</dd>
    </dl>
    <${Tokens} me=${me} />
    <h2 id="clouds-title">clouds.yaml</h2>
    <p>Save as <code>~/.config/openstack/clouds.yaml</code>.</p>
    <pre aria-labelledby="clouds-title" tabindex="0"><code>${clouds}</code></pre>
    <h2 id="cli-title">Command lines</h2>
    <pre aria-labelledby="cli-title" tabindex="0"><code>${lines}</code></pre>
  </section>`;
}

const LIFETIMES = [
  [3600, '1 hour'],
  [86400, '1 day'],
  [7 * 86400, '7 days'],
  [30 * 86400, '30 days'],
];

/**
 * The caller's live tokens (Keystone v3 application credentials): issue one with a name and a
 * lifetime (its secret shown once, right here), revoke one. Revoking this session's token logs out.
 */
function Tokens({ me }) {
  const [tokens, setTokens] = useState(undefined);
  const [issued, setIssued] = useState(undefined);
  const [error, setError] = useState('');
  const load = useCallback(async () => {
    try {
      setTokens(await listTokens(me.user.id));
    } catch (err) {
      setError(err.message);
    }
  }, [me]);
  useEffect(() => {
    load();
  }, [load]);
  const issue = async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    setError('');
    try {
      setIssued(await issueToken(me.user.id, String(f.get('name')).trim(), Number(f.get('lifetime'))));
      form.reset();
      await load();
    } catch (err) {
      setError(err.message);
    }
  };
  const revoke = async (t) => {
    setError('');
    try {
      await revokeToken(me.user.id, t.id);
      if (t.id === me.token_id) window.dispatchEvent(new Event('plankton:logged-out'));
      else await load();
    } catch (err) {
      setError(err.message);
    }
  };
  const canIssue = me.kind === 'minted';
  return html`<section class="tokens" aria-labelledby="tokens-title">
    <h2 id="tokens-title">Tokens</h2>
    <${ErrorNote} error=${error} />
    ${
      issued
        ? html`<div class="issued" role="status">
            <p>Token <strong>${issued.name}</strong> issued, valid until ${humanDate(issued.expires_at)}. Copy it now: it is not shown again.</p>
            <label for="issued-secret">Token</label>
            <input id="issued-secret" readonly value=${issued.secret} onFocus=${(e) => e.currentTarget.select()} />
            <p>As an application credential: id <code>${issued.id}</code>, secret = the token, e.g. in <code>clouds.yaml</code>:</p>
            <pre tabindex="0"><code>${`clouds:
  plankton:
    auth_type: v3applicationcredential
    auth:
      auth_url: ${me.public_url}/identity
      application_credential_id: ${issued.id}
      application_credential_secret: ${issued.secret}
    region_name: ${me.region}`}</code></pre>
            <button type="button" onClick=${() => setIssued(undefined)}>Done, hide it</button>
          </div>`
        : null
    }
    ${
      tokens === undefined
        ? html`<p>Loading…</p>`
        : html`<div class="table-wrap"><table class="token-list">
            <caption>Your live tokens</caption>
            <thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              ${tokens.map(
                (t) => html`<tr data-token-id=${t.id}>
                  <td><code>${t.id}</code></td>
                  <td>${t.name || '—'}${t.id === me.token_id ? ' (this session)' : ''}</td>
                  <td>${humanDate(t.created_at)}</td>
                  <td>${humanDate(t.expires_at)}</td>
                  <td><button type="button" onClick=${() => revoke(t)} aria-label=${`Revoke token ${t.id}`}>Revoke</button></td>
                </tr>`,
              )}
            </tbody>
          </table></div>`
    }
    ${
      canIssue
        ? html`<form class="issue-token" onSubmit=${issue} aria-labelledby="issue-title">
            <h3 id="issue-title">Issue a token</h3>
            <label for="token-name">Name (what it is for)</label>
            <input id="token-name" name="name" required maxlength="255" />
            <label for="token-lifetime">Lifetime</label>
            <select id="token-lifetime" name="lifetime">
              ${LIFETIMES.map(([seconds, label]) => html`<option value=${seconds} selected=${seconds === 7 * 86400}>${label}</option>`)}
            </select>
            <button type="submit">Issue token</button>
          </form>`
        : html`<p class="hint">Log in with your password to issue tokens (a session opened with a token cannot issue more).</p>`
    }
  </section>`;
}

// --- register an existing object ---------------------------------------------------------------
/** Browse the caller's containers and objects, pick one, and register it as an image (v1 register). */
function Register({ me, schema }) {
  const [containers, setContainers] = useState(undefined);
  const [container, setContainer] = useState('');
  const [prefix, setPrefix] = useState('');
  const [markers, setMarkers] = useState(['']);
  const [objects, setObjects] = useState(undefined);
  const [picked, setPicked] = useState(undefined);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const PAGE = 50;
  useEffect(() => {
    listContainers(me.id).then(
      (list) => setContainers(list ?? []),
      (err) => setError(err.message),
    );
  }, [me]);
  const marker = markers[markers.length - 1];
  useEffect(() => {
    if (!container) return;
    setObjects(undefined);
    listObjects(me.id, container, { prefix, marker, limit: PAGE }).then(
      (list) => setObjects(list ?? []),
      (err) => setError(err.message),
    );
  }, [me, container, prefix, marker]);
  const chooseContainer = (name) => {
    setContainer(name);
    setMarkers(['']);
    setPicked(undefined);
  };
  const filter = (e) => {
    e.preventDefault();
    setPrefix(String(new FormData(e.currentTarget).get('prefix')));
    setMarkers(['']);
  };
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setBusy(true);
    setError('');
    try {
      const img = await registerObject(me.id, container, picked.name, {
        name: String(f.get('name')) || picked.name.split('/').pop(),
        diskFormat: String(f.get('disk_format')),
        containerFormat: String(f.get('container_format')),
      });
      location.hash = `#/image/${img.id}`;
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  const files = (objects ?? []).filter((o) => !o.subdir);
  return html`<section aria-labelledby="register-title">
    <h1 id="register-title">Register an object as an image</h1>
    <p class="hint">Pick a file already in one of your containers; it becomes an image without being copied.</p>
    <${ErrorNote} error=${error} />
    <label for="reg-container">Container</label>
    <select id="reg-container" value=${container} onChange=${(e) => chooseContainer(e.currentTarget.value)}>
      <option value="">${containers === undefined ? 'Loading…' : containers.length ? 'choose a container' : 'no containers'}</option>
      ${(containers ?? []).map((c) => html`<option value=${c.name}>${c.name} (${c.count} objects, ${humanSize(c.bytes)})</option>`)}
    </select>
    ${
      container
        ? html`<form class="filters" onSubmit=${filter} aria-label="Filter objects">
              <label>Name starts with <input name="prefix" type="search" value=${prefix} /></label>
              <button type="submit">Filter</button>
            </form>
            <fieldset class="objects">
              <legend>Objects in ${container}</legend>
              ${objects === undefined ? html`<p>Loading…</p>` : files.length === 0 ? html`<p>No objects here.</p>` : null}
              ${files.map(
                (o) => html`<label class="object-choice">
                  <input type="radio" name="object" value=${o.name} checked=${picked?.name === o.name} onChange=${() => setPicked(o)} />
                  ${o.name} <span class="meta">${humanSize(o.bytes)} · ${humanDate(o.last_modified)}</span>
                </label>`,
              )}
            </fieldset>
            <nav class="pager" aria-label="Object pages">
              <button type="button" disabled=${markers.length <= 1} onClick=${() => setMarkers(markers.slice(0, -1))}>Previous objects</button>
              <button type="button" disabled=${(objects ?? []).length < PAGE} onClick=${() => setMarkers([...markers, objects[objects.length - 1].name])}>More objects</button>
            </nav>`
        : null
    }
    ${
      picked
        ? html`<form class="upload register" onSubmit=${submit}>
            <p>Register <code>${container}/${picked.name}</code> (${humanSize(picked.bytes)})</p>
            <label for="reg-name">Image name</label><input id="reg-name" name="name" placeholder=${picked.name.split('/').pop()} />
            <label for="reg-disk">Disk format</label>
            <select id="reg-disk" name="disk_format">${schema.disk.map((d) => html`<option value=${d} selected=${d === 'raw'}>${d}</option>`)}</select>
            <label for="reg-container-format">Container format</label>
            <select id="reg-container-format" name="container_format">${schema.container.map((d) => html`<option value=${d} selected=${d === 'bare'}>${d}</option>`)}</select>
            <button type="submit" disabled=${busy}>Register image</button>
          </form>`
        : null
    }
  </section>`;
}

// --- shell -------------------------------------------------------------------------------------
function App() {
  const [me, setMe] = useState(undefined); // undefined: asking; null: logged out
  const route = useRoute();
  const schema = useSchema(me);
  const refresh = useCallback(() => {
    call('/session').then(setMe, () => setMe(null));
  }, []);
  useEffect(refresh, [refresh]);
  useEffect(() => {
    const out = () => setMe(null);
    window.addEventListener('plankton:logged-out', out);
    return () => window.removeEventListener('plankton:logged-out', out);
  }, []);
  if (me === undefined) return html`<p class="loading">Loading…</p>`;
  if (me === null) return html`<${Login} onLogin=${refresh} />`;
  const logout = async () => {
    await call('/session', { method: 'DELETE' }).catch(() => undefined);
    setMe(null);
    location.hash = '#/';
  };
  const imageMatch = /^\/image\/([0-9a-f-]{36})$/.exec(route);
  const nav = [
    ['#/', 'Images'],
    ['#/upload', 'Upload'],
    ['#/register', 'Register'],
    ['#/account', 'Account'],
  ];
  return html`<header class="top">
      <a class="brand" href="#/">Plankton</a>
      <nav aria-label="Main">
        ${nav.map(([href, label]) => html`<a href=${href} aria-current=${`#${route}` === href ? 'page' : undefined}>${label}</a>`)}
      </nav>
      <span class="who">${me.user.name}</span>
      <button type="button" onClick=${logout}>Log out</button>
    </header>
    <main>
      ${
        imageMatch
          ? html`<${ImagePage} id=${imageMatch[1]} me=${me.user} />`
          : route === '/upload'
            ? html`<${Upload} schema=${schema} />`
            : route === '/register'
              ? html`<${Register} me=${me.user} schema=${schema} />`
              : route === '/account'
                ? html`<${Account} me=${me} />`
                : html`<${Catalog} me=${me.user} schema=${schema} />`
      }
    </main>`;
}

render(html`<${App} />`, document.getElementById('app'));
