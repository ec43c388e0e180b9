// Opens a rendered report in headless Chromium and prints what a reader's browser saw, as
// one JSON object: console errors, network requests, dialogs, script side effects, charts,
// horizontal overflow on a phone-sized screen, and a screenshot of the first page.
//
// usage: NODE_PATH=<dir with playwright-core> node check-report.cjs REPORT.html SCREENSHOT.png
const path = require('node:path');
const { chromium } = require('playwright-core');

async function main() {

const [report, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.LOCKER_TEST_CHROMIUM || '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const url = 'file://' + path.resolve(report);
const seen = { consoleErrors: [], requests: [], dialogs: [] };
page.on('console', (message) => {
  if (message.type() === 'error' || message.type() === 'warning') seen.consoleErrors.push(message.text());
});
page.on('pageerror', (error) => seen.consoleErrors.push(String(error)));
page.on('request', (request) => { if (request.url() !== url) seen.requests.push(request.url()); });
page.on('dialog', async (dialog) => { seen.dialogs.push(dialog.message()); await dialog.dismiss(); });

await page.goto(url, { waitUntil: 'load' });
await page.waitForTimeout(300);
seen.scriptRan = await page.evaluate(() => window.__xss ?? null);
seen.title = await page.title();
seen.charts = await page.locator('.chart svg').count();
seen.frameworks = await page.locator('section.framework').count();
await page.screenshot({ path: screenshot });

await page.setViewportSize({ width: 390, height: 844 });
seen.phoneOverflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
await page.emulateMedia({ media: 'print' });
seen.printBreaks = await page.evaluate(() =>
  [...document.querySelectorAll('section.framework')].map((s) => getComputedStyle(s).breakBefore));

console.log(JSON.stringify(seen));
await browser.close();
}

main().catch((error) => { console.error(error); process.exit(1); });
