/**
 * The web catalog in a real browser (Debian's chromium through puppeteer-core) against a real
 * `plankton serve`: two users log in, upload, filter, edit, share, accept, download, delete, log
 * out; every page is checked with axe-core; the log and every URL the browser asked for are
 * searched for the session's secrets. Run with `npm run test:ui` (not part of `npm test`).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { cleanEnv, startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { freshPostgresDatabase } from '../helpers/dialects.ts';
import { eventually } from '../helpers/object-store.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BIN = path.resolve(import.meta.dirname, '../../bin/plankton.js');
const AXE = path.resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js');
const SCREENSHOT = path.resolve(import.meta.dirname, '../../docs/ui-catalog.png');
const PASSWORD = 'browser-password-4b7d';
const WAIT = { timeout: 30_000 };
const SEEDED = 22;

function createUser(storage: string[], name: string): { uuid: string; name: string; token: string } {
  const out = execFileSync(process.execPath, [BIN, 'user', 'create', name, '--json', '--password-stdin', ...storage], {
    input: `${PASSWORD}\n`,
    env: cleanEnv(),
  });
  return JSON.parse(out.toString());
}

describe(`web catalog in chromium [${process.env.PG_URL ? 'postgres' : 'sqlite'}]`, {
  skip: !fs.existsSync(CHROMIUM) && `no ${CHROMIUM}`,
}, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-ui-'));
  const file = path.join(dataDir, 'disk.img');
  const content = randomBytes(5 * 1024 * 1024 + 123);
  let server: ChildServer;
  let pg: Awaited<ReturnType<typeof freshPostgresDatabase>> | undefined;
  let browser: Browser;
  let alice: { uuid: string; name: string; token: string };
  let bob: { uuid: string; name: string; token: string };
  let alicePage: Page;
  let bobPage: Page;
  let imageId = '';
  const requested: string[] = [];
  const problems: string[] = [];
  const secrets: string[] = [];
  const axeRuns: { what: string; violations: number }[] = [];

  before(async () => {
    fs.writeFileSync(file, content);
    // One database per run (the flow takes a minute): PostgreSQL when PG_URL is set (as in CI), else SQLite.
    pg = process.env.PG_URL ? await freshPostgresDatabase() : undefined;
    const storage = ['--data-dir', dataDir, ...(pg ? ['--database-url', pg.url] : [])];
    alice = createUser(storage, 'alice');
    bob = createUser(storage, 'bob');
    server = await startChildServer(storage, { logLevel: 'info' });
    // A full first page and a second one (the page shows 20), for the paging links.
    for (let i = 0; i < SEEDED; i++) {
      const res = await fetch(`${server.url}/image/v2/images`, {
        method: 'POST',
        headers: { 'X-Auth-Token': alice.token, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          name: `seed-${String(i).padStart(2, '0')}`,
          disk_format: i % 3 === 0 ? 'qcow2' : 'raw',
          container_format: 'bare',
          tags: i % 2 === 0 ? ['even'] : [],
        }),
      });
      assert.equal(res.status, 201);
    }
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await pg?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** A page in its own browser context (its own cookie jar), watched for errors and CSP reports. */
  async function newPage(): Promise<Page> {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    page.on('request', (r) => requested.push(r.url()));
    page.on('pageerror', (e) => problems.push(`page error: ${e}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(m.text());
    });
    return page;
  }

  async function axeCheck(page: Page, what: string): Promise<void> {
    // Evaluated through the DevTools protocol, which the page's CSP does not govern: the page
    // itself stays under its strict policy (a script tag of axe would be refused, rightly).
    if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(fs.readFileSync(AXE, 'utf8'));
    const result = await page.evaluate(async () => {
      const r = await (globalThis as any).axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    });
    const serious = result.filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(serious, [], `${what}: serious accessibility violations`);
    axeRuns.push({ what, violations: result.length });
  }

  async function sessionSecret(page: Page): Promise<string> {
    const cookies = await page.browserContext().cookies();
    const c = cookies.find((x) => x.name === 'plankton_session');
    assert.ok(c, 'session cookie set');
    assert.equal(c.httpOnly, true);
    assert.equal(c.sameSite, 'Strict');
    return c.value.slice(2);
  }

  it('alice logs in with her password', async () => {
    alicePage = await newPage();
    await alicePage.goto(`${server.url}/ui`);
    await alicePage.waitForSelector('#username', WAIT);
    await axeCheck(alicePage, 'login page');
    await alicePage.type('#username', alice.name);
    await alicePage.type('#password', PASSWORD);
    await alicePage.keyboard.press('Enter');
    await alicePage.waitForSelector('#catalog-title', WAIT);
    const secret = await sessionSecret(alicePage);
    assert.notEqual(secret, alice.token, 'a token minted for the session');
    secrets.push(secret);
    await axeCheck(alicePage, 'catalog');
  });

  it('uploads a file with progress and sees it active with the right checksums', async () => {
    await alicePage.goto(`${server.url}/ui#/upload`);
    await alicePage.waitForSelector('#up-file', WAIT);
    await axeCheck(alicePage, 'upload page');
    const input = await alicePage.$('#up-file');
    await (input as any).uploadFile(file);
    await alicePage.type('#up-name', 'browser-disk');
    await alicePage.select('#up-disk', 'raw');
    await alicePage.click('.upload button[type=submit]');
    await alicePage.waitForFunction(() => /^#\/image\//.test(location.hash), WAIT);
    imageId = (await alicePage.evaluate(() => location.hash)).slice('#/image/'.length);
    await alicePage.waitForSelector('.badge.active', WAIT);
    const md5 = await alicePage.$eval('.checksum', (e) => e.textContent);
    const sha512 = await alicePage.$eval('.hash', (e) => e.textContent);
    assert.equal(md5, createHash('md5').update(content).digest('hex'));
    assert.equal(sha512, createHash('sha512').update(content).digest('hex'));
    await axeCheck(alicePage, 'image page');
  });

  it('edits a property and shares the image with bob', async () => {
    await alicePage.type('#new-key', 'os_distro');
    await alicePage.type('#new-value', 'debian');
    await alicePage.select('#edit-visibility', 'shared');
    await alicePage.click('.edit button[type=submit]');
    await alicePage.waitForSelector('dd.prop[data-key="os_distro"]', WAIT);
    assert.equal(await alicePage.$eval('dd.prop[data-key="os_distro"]', (e) => e.textContent), 'debian');
    await alicePage.waitForSelector('#member', WAIT);
    await alicePage.type('#member', bob.name);
    await alicePage.click('.members button[type=submit]');
    await alicePage.waitForSelector(`li[data-member="${bob.uuid}"] .badge.pending`, WAIT);
  });

  it('lists, pages, filters and sorts the catalog', async () => {
    await alicePage.goto(`${server.url}/ui#/`);
    const row = `tr[data-image-id="${imageId}"]`;
    await alicePage.waitForSelector(row, WAIT);
    const rows = () => alicePage.$$eval('tbody tr', (trs) => trs.map((tr) => tr.querySelector('a')?.textContent));
    assert.equal((await rows()).length, 20, 'a full first page');
    if (process.env.PLANKTON_UI_SCREENSHOT) {
      await alicePage.setViewport({ width: 1100, height: 900 });
      await alicePage.screenshot({ path: SCREENSHOT, fullPage: true });
    }
    await alicePage.click('.pager button:last-child');
    await alicePage.waitForFunction(() => document.querySelectorAll('tbody tr').length === 3, WAIT);
    await alicePage.click('.pager button:first-child');
    await alicePage.waitForFunction(() => document.querySelectorAll('tbody tr').length === 20, WAIT);

    await alicePage.select('select[name=disk_format]', 'qcow2');
    await alicePage.click('.filters button[type=submit]');
    await alicePage.waitForFunction((sel) => !document.querySelector(sel), WAIT, row);
    assert.equal((await rows()).length, Math.ceil(SEEDED / 3));
    await alicePage.select('select[name=disk_format]', '');
    await alicePage.type('input[name=tag]', 'even');
    await alicePage.select('select[name=sort_key]', 'name');
    await alicePage.select('select[name=sort_dir]', 'asc');
    await alicePage.click('.filters button[type=submit]');
    await alicePage.waitForFunction((n) => document.querySelectorAll('tbody tr').length === n, WAIT, SEEDED / 2);
    const names = await rows();
    assert.deepEqual(names, [...names].sort(), 'sorted by name');
    assert.ok(
      names.every((n) => Number(n!.slice(5)) % 2 === 0),
      'only the tagged ones',
    );
    await alicePage.$eval('input[name=tag]', (e) => {
      (e as HTMLInputElement).value = '';
    });
    await alicePage.type('input[name=name]', 'browser-disk');
    await alicePage.click('.filters button[type=submit]');
    await alicePage.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1, WAIT);
    await alicePage.waitForSelector(row, WAIT);
    // Phone width: the page itself never scrolls sideways (the table scrolls in its own box).
    await alicePage.setViewport({ width: 375, height: 800 });
    const overflow = await alicePage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `page wider than a phone by ${overflow}px`);
    await alicePage.setViewport({ width: 1100, height: 700 });
  });

  it('a cancelled upload leaves the image queued', async () => {
    await alicePage.goto(`${server.url}/ui#/upload`);
    await alicePage.waitForSelector('#up-file', WAIT);
    // A slow link (64 KiB/s up), so that there is time to press Cancel mid-upload.
    const cdp = await alicePage.createCDPSession();
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 64 * 1024,
    });
    await ((await alicePage.$('#up-file')) as any).uploadFile(file);
    await alicePage.type('#up-name', 'cancelled-disk');
    await alicePage.click('.upload button[type=submit]');
    await alicePage.waitForSelector('#up-progress', WAIT);
    await alicePage.click('.progress button');
    await alicePage.waitForSelector('.error a', WAIT);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    const href = await alicePage.$eval('.error a', (a) => a.getAttribute('href'));
    const id = href!.slice('#/image/'.length);
    // The server notices the cut connection a moment later: until then the image may still be `saving`.
    const status = async () =>
      (await (await fetch(`${server.url}/image/v2/images/${id}`, { headers: { 'X-Auth-Token': alice.token } })).json())
        .status;
    assert.ok(await eventually(async () => (await status()) === 'queued'), 'back to queued');
  });

  it('registers an object from one of her containers as an image', async () => {
    // The object goes in through the object store API, as any client would put it there.
    const disk = randomBytes(256 * 1024 + 7);
    const put = (p: string, body?: Buffer) =>
      fetch(`${server.url}/object-store/v1/${alice.uuid}/${p}`, {
        method: 'PUT',
        headers: { 'X-Auth-Token': alice.token, 'Content-Type': 'application/octet-stream' },
        ...(body ? { body: new Uint8Array(body) } : {}),
      });
    assert.ok([201, 202].includes((await put('disks')).status));
    assert.equal((await put('disks/base/first.img', disk)).status, 201);
    await alicePage.goto(`${server.url}/ui#/register`);
    await alicePage.waitForSelector('#reg-container option[value="disks"]', WAIT);
    await axeCheck(alicePage, 'register page');
    await alicePage.select('#reg-container', 'disks');
    await alicePage.waitForSelector('input[name=object][value="base/first.img"]', WAIT);
    await alicePage.click('input[name=object][value="base/first.img"]');
    await alicePage.waitForSelector('#reg-name', WAIT);
    await alicePage.type('#reg-name', 'Registered Disk');
    await alicePage.click('.register button[type=submit]');
    await alicePage.waitForFunction(() => /^#\/image\//.test(location.hash), WAIT);
    await alicePage.waitForSelector('.badge.active', WAIT);
    assert.equal(await alicePage.$eval('#image-title', (e) => e.textContent), 'Registered Disk');
    // The image is the object itself (its id is the object's UUID): same size, same bytes.
    const id = (await alicePage.evaluate(() => location.hash)).slice('#/image/'.length);
    assert.ok((await alicePage.$eval('dl.fields', (e) => e.textContent ?? '')).includes(`(${disk.length} bytes)`));
    const data = await fetch(`${server.url}/image/v2/images/${id}/file`, { headers: { 'X-Auth-Token': alice.token } });
    assert.equal(data.status, 200);
    assert.ok(Buffer.from(await data.arrayBuffer()).equals(disk), 'the image data is the object');
    // Name search is a substring search that ignores case.
    await alicePage.goto(`${server.url}/ui#/`);
    await alicePage.waitForSelector('input[name=name]', WAIT);
    await alicePage.type('input[name=name]', 'STERED D');
    await alicePage.click('.filters button[type=submit]');
    await alicePage.waitForFunction(() => {
      const rows = [...document.querySelectorAll('tbody tr a')].map((a) => a.textContent);
      return rows.length === 1 && rows[0] === 'Registered Disk';
    }, WAIT);
  });

  it('issues a token with a name and a lifetime on the account page, sees it listed, and revokes it', async () => {
    await alicePage.goto(`${server.url}/ui#/account`);
    await alicePage.waitForSelector('#token-name', WAIT);
    // The session's own token is listed (its secret never is).
    await alicePage.waitForSelector('tr[data-token-id]', WAIT);
    assert.ok(!(await alicePage.content()).includes(secrets[0]), 'the session secret is not on the page');
    await alicePage.type('#token-name', 'ci pipeline');
    await alicePage.select('#token-lifetime', '86400');
    await alicePage.click('.issue-token button[type=submit]');
    await alicePage.waitForSelector('#issued-secret', WAIT);
    const secret = await alicePage.$eval('#issued-secret', (e) => (e as HTMLInputElement).value);
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    secrets.push(secret);
    const works = await fetch(`${server.url}/image/v2/images`, { headers: { 'X-Auth-Token': secret } });
    assert.equal(works.status, 200);
    const row = await alicePage.waitForFunction(
      () =>
        [...document.querySelectorAll('tr[data-token-id]')]
          .find((tr) => tr.textContent?.includes('ci pipeline'))
          ?.getAttribute('data-token-id'),
      WAIT,
    );
    const tokenId = String(await row.jsonValue());
    await axeCheck(alicePage, 'account page with tokens');
    assert.match(
      await alicePage.$eval('.issued pre', (e) => e.textContent ?? ''),
      new RegExp(`application_credential_id: ${tokenId}`),
    );
    // Phone width: the token table scrolls in its own box, the page never sideways.
    await alicePage.setViewport({ width: 375, height: 800 });
    const overflow = await alicePage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `account page wider than a phone by ${overflow}px`);
    await alicePage.setViewport({ width: 1100, height: 700 });
    await alicePage.click('.issued button');
    await alicePage.waitForFunction(() => !document.querySelector('#issued-secret'), WAIT);
    await alicePage.click(`tr[data-token-id="${tokenId}"] button`);
    await alicePage.waitForFunction((id) => !document.querySelector(`tr[data-token-id="${id}"]`), WAIT, tokenId);
    const revoked = await fetch(`${server.url}/image/v2/images`, { headers: { 'X-Auth-Token': secret } });
    assert.equal(revoked.status, 401);
  });

  it('bob logs in with a token, accepts the shared image and downloads it', async () => {
    bobPage = await newPage();
    await bobPage.goto(`${server.url}/ui`);
    await bobPage.waitForSelector('#username', WAIT);
    await bobPage.click('input[name=mode]:not(:checked)');
    await bobPage.waitForSelector('#token', WAIT);
    await bobPage.type('#token', bob.token);
    await bobPage.keyboard.press('Enter');
    await bobPage.waitForSelector('#catalog-title', WAIT);
    secrets.push(bob.token);
    // bob's own tab never shows alice's image
    await bobPage.waitForFunction(
      () => document.querySelector('.status-line')?.textContent?.includes('on this page'),
      WAIT,
    );
    assert.equal(await bobPage.$(`tr[data-image-id="${imageId}"]`), null);
    await bobPage.click('#tab-shared');
    await bobPage.waitForSelector(`tr[data-image-id="${imageId}"] .badge.pending`, WAIT);
    await bobPage.click(`tr[data-image-id="${imageId}"] button[aria-label^="Accept"]`);
    await bobPage.waitForSelector(`tr[data-image-id="${imageId}"] .badge.accepted`, WAIT);
    await bobPage.click(`tr[data-image-id="${imageId}"] a`);
    await bobPage.waitForSelector('a[download]', WAIT);
    const href = await bobPage.$eval('a[download]', (a) => a.getAttribute('href'));
    assert.equal(href, `/ui/download/${imageId}`);
    const digest = await bobPage.evaluate(async (url) => {
      const res = await fetch(url);
      const buf = await crypto.subtle.digest('SHA-256', await res.arrayBuffer());
      return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
    }, href!);
    assert.equal(digest, createHash('sha256').update(content).digest('hex'));
    assert.equal(await bobPage.$('.edit'), null, 'no edit form on an image bob does not own');
    await bobPage.goto(`${server.url}/ui#/account`);
    await bobPage.waitForSelector('#account-title', WAIT);
    const clouds = await bobPage.$eval('pre code', (e) => e.textContent ?? '');
    assert.match(clouds, new RegExp(`auth_url: ${server.url}/identity`));
    assert.ok(!clouds.includes(bob.token), 'the account page never shows the session token');
    assert.ok(!(await bobPage.content()).includes(bob.token), 'nor anywhere else on the page');
    // A session opened with a token lists tokens but cannot issue any (no password was proved).
    await bobPage.waitForSelector('tr[data-token-id]', WAIT);
    assert.equal(await bobPage.$('#token-name'), null);
    await axeCheck(bobPage, 'account page');
  });

  it('alice deletes the image after confirming, then logs out (the minted token is revoked)', async () => {
    await alicePage.goto(`${server.url}/ui#/image/${imageId}`);
    // The members list loads last and moves the buttons below it: click once it is there.
    await alicePage.waitForSelector(`li[data-member="${bob.uuid}"] .badge.accepted`, WAIT);
    await alicePage.waitForSelector('button.danger', WAIT);
    await alicePage.click('button.danger');
    await alicePage.waitForSelector('[aria-label="Confirm deletion"] button.danger', WAIT);
    await alicePage.click('[aria-label="Confirm deletion"] button.danger');
    await alicePage.waitForFunction(() => location.hash === '#/', WAIT);
    const gone = await fetch(`${server.url}/image/v2/images/${imageId}`, { headers: { 'X-Auth-Token': alice.token } });
    assert.equal(gone.status, 404);

    const minted = secrets[0];
    const buttons = await alicePage.$$('header button');
    await buttons[buttons.length - 1].click();
    await alicePage.waitForSelector('#username', WAIT);
    assert.equal(
      (await alicePage.browserContext().cookies()).some((c) => c.name === 'plankton_session'),
      false,
      'cookie cleared',
    );
    const revoked = await fetch(`${server.url}/image/v2/images`, { headers: { 'X-Auth-Token': minted } });
    assert.equal(revoked.status, 401);
  });

  it('runs under the strict CSP with no violation, and no secret ever reaches a URL or the log', async () => {
    const strict = await newPage();
    await strict.goto(`${server.url}/ui`);
    await strict.waitForSelector('#username', WAIT);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      axeRuns.map((r) => r.what),
      [
        'login page',
        'catalog',
        'upload page',
        'image page',
        'register page',
        'account page with tokens',
        'account page',
      ],
    );
    assert.ok(requested.length > 10);
    for (const s of secrets) {
      assert.ok(!requested.some((u) => u.includes(s)), 'a secret in a URL');
      assert.ok(!server.stdout().includes(s), 'a secret in the log');
    }
    assert.ok(server.stdout().includes('/ui/api/image/v2/images'), 'the page calls are logged');
  });
});
