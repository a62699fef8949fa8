/**
 * The web dashboard in a real Chromium (Debian's chromium driven by playwright-core through
 * its executable path): the page loads, a status change replayed from a dummy-ups .seq shows
 * up without a reload, a command run from the page reaches the driver, a phone-sized screen
 * needs no sideways scrolling.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../../core/test/http/harness.js';
import { until } from '../helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const SEQ = ['ups.status: OL', 'battery.charge: 100', 'battery.runtime: 1800', 'ups.load: 20', 'input.voltage: 230', 'TIMER 2', 'ups.status: OB DISCHRG', 'battery.charge: 90', 'TIMER 2', ''].join('\n');

describe('dashboard in Chromium', () => {
  let t: TestHost;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`chromium is missing (${CHROMIUM}): apt-get install -y chromium`);
    t = await startTestHost({ port: 'dev.seq', files: { 'dev.seq': SEQ } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows every device, follows a status change without reload, runs a command', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'admin', password: 'secret' } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(t.base);
    const card = page.locator('article[data-ups="dev"]');
    await card.waitFor({ timeout: 15_000 });
    await page.evaluate('window.marker = 42');
    await page.locator('#live:not(.off)').waitFor({ timeout: 15_000 });
    // the .seq alternates OL and OB DISCHRG every 2 s: both appear in the same page
    await page.waitForFunction(`document.querySelector('article[data-ups="dev"] .status')?.textContent === 'On line'`, undefined, { timeout: 20_000 });
    await page.waitForFunction(`document.querySelector('article[data-ups="dev"] .status')?.textContent === 'On battery, Discharging'`, undefined, { timeout: 20_000 });
    expect(await page.evaluate('window.marker')).toBe(42);

    await card.click();
    const run = page.locator('button[data-cmd="load.off"]');
    await run.waitFor({ timeout: 10_000 });
    expect(await run.isEnabled()).toBe(true);
    await run.click();
    // dummy-ups answers every command "unknown", as NUT's does: the answer shows it got there
    await page.waitForFunction(`document.querySelector('[data-result="load.off"]')?.textContent === 'ERR UNKNOWN'`, undefined, { timeout: 15_000 });
    await until('the driver to log the command', () => t.logs.some((l) => l.includes('instcmd: unknown command [load.off]')), 10_000);
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('fits a phone screen and hides commands the user may not run', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'viewer', password: 'look' }, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await page.goto(t.base);
    await page.locator('article[data-ups="dev"]').waitFor({ timeout: 15_000 });
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.locator('article[data-ups="dev"]').click();
    const run = page.locator('button[data-cmd="load.off"]');
    await run.waitFor({ timeout: 10_000 });
    expect(await run.isDisabled()).toBe(true);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await context.close();
  }, 60_000);

  it('without credentials the browser is asked for them', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // headless Chromium has nobody to show the login prompt to: it gives up on the challenge
    await expect(page.goto(t.base)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    const res = await context.request.get(t.base);
    expect(res.status()).toBe(401);
    expect(res.headers()['www-authenticate']).toMatch(/^Basic/);
    await context.close();
  });

  it('logs in through the login page (session cookie) and opens the dashboard', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.base}/login`);
    await page.fill('input[name=user]', 'viewer');
    await page.fill('input[name=password]', 'wrong');
    await page.click('button[type=submit]');
    await page.waitForFunction(`document.getElementById('error').textContent.length > 0`, undefined, { timeout: 10_000 });
    await page.fill('input[name=password]', 'look');
    await page.click('button[type=submit]');
    await page.locator('article[data-ups="dev"]').waitFor({ timeout: 15_000 });
    expect(await page.textContent('#who')).toBe('signed in as viewer');
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'nutts_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await context.close();
  }, 60_000);
});
