// The trace page in a real browser: the Chromium that the project's own dev dependency
// @sparticuz/chromium ships (test/tooling/browser.ts; TRACE_BROWSER overrides it), driven by
// playwright-core. Generates a trace through the CLI (`npm run sim -- <scenario> --trace F`), opens it
// from file://, checks the diagram, expands a decoded provisioning PDU and an HTTPS exchange, and saves
// screenshots to out/ (gitignored).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { traceBrowser } from './browser.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const outDir = path.join(root, 'out');

function trace(scenario: string): string {
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `trace-${scenario}.html`);
  rmSync(file, { force: true });
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'sim/cli.ts', scenario, '--quiet', '--trace', file], { cwd: root, encoding: 'utf8' });
  assert.is(r.status, 0, `sim ${scenario} failed: ${r.stdout}${r.stderr}`);
  assert.match(r.stdout, 'trace: ' + file);
  assert.ok(existsSync(file));
  return file;
}

/** scroll so that the element sits a third down the viewport (runs in the page; no DOM types on the host) */
const scrollNear = (el: any) => {
  const w = el.ownerDocument.defaultView;
  w.scrollTo(0, el.getBoundingClientRect().top + w.scrollY - 330);
};

async function withPage(fn: (page: Page, errors: string[], requests: string[]) => Promise<void>): Promise<void> {
  const exe = await traceBrowser();
  const profile = mkdtempSync(path.join(os.tmpdir(), 'trace-chromium-'));
  let browser: BrowserContext | undefined;
  try {
    // a fresh --user-data-dir: playwright passes the profile directory of a persistent context as that flag
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: exe.executablePath,
      headless: true,
      args: [...exe.args, '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 900 },
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('request', (r) => requests.push(r.url()));
    await fn(page, errors, requests);
  } finally {
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

test('mesh trace: the diagram renders, a decoded provisioning PDU expands to its fields and bytes', async () => {
  const file = trace('mesh-pb-adv-happy');
  const url = pathToFileURL(file).href;
  await withPage(async (page, errors, requests) => {
    await page.goto(url);
    assert.match(await page.title(), /PASS mesh-pb-adv-happy/);
    const lanes = await page.locator('.lanehead b').allTextContents();
    for (const l of ['Storage', 'Device', 'Air', 'Echo']) assert.ok(lanes.includes(l), `lane ${l} missing: ${lanes.join(', ')}`);
    assert.ok((await page.locator('.row .arrow').count()) > 20, 'arrows drawn');
    assert.match((await page.locator('header').textContent()) ?? '', /outcome\s*provisioned/);
    // the Capabilities PDU the Echo received, with its bytes: decoded fields and a hex dump
    const caps = page.locator('.row.msg', { hasText: 'Capabilities' }).filter({ has: page.locator('.more') }).first();
    await caps.click();
    const detail = caps.locator('.detail');
    await detail.waitFor();
    const text = (await detail.textContent()) ?? '';
    assert.match(text, 'Number of Elements');
    assert.match(text, 'Static OOB Type');
    assert.match(text, /0000\s+01 01 00 01/);
    // a bearer packet decodes to PB-ADV / Generic Provisioning
    const open = page.locator('.row.bearer', { hasText: 'echo txn 0x00: Link Open' }).first();
    await open.click();
    assert.match((await open.locator('.detail').textContent()) ?? '', /Link Open[\s\S]*Device UUID/);
    // search narrows the rows
    await page.fill('#controls input[type=search]', 'Confirmation');
    const shown = await page.locator('.row:not(.hidden)').count();
    assert.ok(shown > 0 && shown < 20, `search shows ${shown} rows`);
    await page.fill('#controls input[type=search]', '');
    await page.screenshot({ path: path.join(outDir, 'trace-mesh-top.png') });
    await caps.evaluate(scrollNear);
    await page.screenshot({ path: path.join(outDir, 'trace-mesh.png') });
    assert.equal(errors, [], 'no script errors');
    assert.ok(requests.every((u) => u.startsWith('file:')), `no network: ${requests.filter((u) => !u.startsWith('file:')).join(', ')}`);
  });
});

test('WSS trace: HTTPS exchanges with the DSS expand to request and response bodies', async () => {
  const file = trace('wss-happy-simple-setup');
  await withPage(async (page, errors) => {
    await page.goto(pathToFileURL(file).href);
    const lanes = await page.locator('.lanehead b').allTextContents();
    for (const l of ['Device', 'Wi-Fi / APs', 'DSS']) assert.ok(lanes.includes(l), `lane ${l} missing: ${lanes.join(', ')}`);
    const ex = page.locator('.row.exchange', { hasText: 'getWifiCredentials' }).first();
    await ex.click();
    const text = (await ex.locator('.detail').textContent()) ?? '';
    assert.match(text, 'response signature');
    assert.match(text, 'request body');
    assert.match(text, 'response body');
    await page.locator('#controls label', { hasText: 'debug lines' }).locator('input').uncheck();
    await ex.evaluate(scrollNear);
    await page.screenshot({ path: path.join(outDir, 'trace-wss.png') });
    assert.equal(errors, []);
  });
});

test('hostile event text stays text: no markup, no script, no request', async () => {
  const evil = '</script><img src=x onerror="document.title=1"><script>document.title=2</script>\u2028<!--';
  const { writeTrace } = await import('../../sim/trace');
  const file = writeTrace(path.join(outDir, 'trace-hostile.html'), {
    scenario: { name: 'hostile <b>name</b>', description: evil }, ok: false, outcome: evil, failures: [evil], virtualMs: 10,
    events: [
      { t: 0, actor: 'device', kind: 'log', summary: evil, board: 'dev1', fields: { level: 'info', tag: 'x', message: evil } },
      { t: 1, actor: 'dss', kind: 'http', summary: evil, fields: { op: evil, status: 200, request: { [evil]: evil }, response: JSON.stringify({ evil }) } },
      { t: 2, actor: 'air', kind: 'adv', summary: 'echo ' + evil, bytes: '3c2f7363726970743e' },
      { t: 3, actor: evil, kind: evil, summary: evil, bytes: 'zz<script>' },
    ],
  });
  await withPage(async (page, errors, requests) => {
    await page.goto(pathToFileURL(file).href);
    assert.is(await page.title(), 'FAIL hostile <b>name</b> — simulator trace');
    assert.is(await page.locator('img').count(), 0);
    assert.is(await page.locator('script').count(), 2, 'only the data and the page script');
    assert.is(await page.locator('.row').count(), 4);
    assert.match((await page.locator('.row').first().textContent()) ?? '', '<img src=x');
    await page.locator('.row').nth(1).click();
    assert.match((await page.locator('.row').nth(1).locator('.detail').textContent()) ?? '', 'request body');
    assert.equal(errors, []);
    assert.ok(requests.every((u) => u.startsWith('file:')), requests.join(', '));
  });
});


test('no browser is a failure naming the fix, never a skip', async () => {
  const saved = process.env.TRACE_BROWSER;
  process.env.TRACE_BROWSER = path.join(os.tmpdir(), 'no-such-browser-' + process.pid);
  try {
    let message = '';
    try {
      await traceBrowser();
    } catch (e) {
      message = (e as Error).message;
    }
    assert.match(message, /^TRACE_BROWSER=.* does not exist \(unset it to use the bundled @sparticuz\/chromium\)$/);
  } finally {
    if (saved === undefined) delete process.env.TRACE_BROWSER;
    else process.env.TRACE_BROWSER = saved;
  }
});

test.run();
