// Plays the customer in a real headless Chromium against the sandbox's pages.
//
//   node customer.mjs reply   BASE NUMBER TEXT [SHOTS_DIR]
//     opens the handset page for NUMBER, clicks the landing-page link of its last SMS, writes
//     TEXT on the landing page and sends it; prints what it saw as one JSON line.
//   node customer.mjs tampered BASE NUMBER
//     opens that link with its token changed; prints what the page said as one JSON line.
//
// CHROMIUM names the browser binary by its path (default: /usr/bin/chromium). Screenshots of the
// handset and the landing page go to SHOTS_DIR when given.

import puppeteer from 'puppeteer-core';

const [mode, base, number, text, shots] = process.argv.slice(2);
if (!mode || !base || !number) {
  console.error('usage: node customer.mjs reply|tampered BASE NUMBER [TEXT] [SHOTS_DIR]');
  process.exit(2);
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});

try {
  const page = await browser.newPage();
  await page.setViewport({ width: 720, height: 900, deviceScaleFactor: 1 });
  const handset = `${base}/__sandbox/phone?number=${encodeURIComponent(number)}`;
  const res = await page.goto(handset, { waitUntil: 'load' });
  if (!res || res.status() !== 200) throw new Error(`handset page answered ${res && res.status()}`);
  if (shots) await page.screenshot({ path: `${shots}/handset.png`, fullPage: true });
  const smsTexts = await page.$$eval('.sms .text', (ps) => ps.map((p) => p.textContent));
  const links = await page.$$eval('.sms a', (as) => as.map((a) => a.href));
  const link = links.filter((h) => h.includes('/__sandbox/clp/')).pop();
  if (!link) throw new Error(`no landing-page link among the SMS of ${number}: ${JSON.stringify(smsTexts)}`);

  if (mode === 'reply') {
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }),
      page.click(`.sms a[href="${link.replace(/"/g, '\\"')}"]`),
    ]);
    const heading = await page.$eval('h1', (h) => h.textContent);
    await page.type('textarea[name=text]', text);
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }),
      page.click('form.reply button[type=submit]'),
    ]);
    const chat = await page.$$eval('.chat .msg', (li) =>
      li.map((l) => ({
        role: l.dataset.role,
        touchpoint: l.dataset.touchpoint,
        text: l.querySelector('.text').textContent,
      })),
    );
    if (shots) await page.screenshot({ path: `${shots}/landing-page.png`, fullPage: true });
    console.log(JSON.stringify({ link, heading, sms: smsTexts, chat }));
  } else if (mode === 'tampered') {
    const url = new URL(link);
    const token = url.searchParams.get('token') || '';
    url.searchParams.set('token', token.slice(0, -1) + (token.endsWith('0') ? '1' : '0'));
    const r = await page.goto(url.toString(), { waitUntil: 'load' });
    const heading = await page.$eval('h1', (h) => h.textContent);
    const why = await page.$eval('[role=alert]', (p) => p.textContent).catch(() => null);
    const writable = (await page.$('textarea')) !== null;
    console.log(JSON.stringify({ status: r && r.status(), heading, why, writable }));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} finally {
  await browser.close();
}
