import puppeteer from 'puppeteer-core';

const b = await puppeteer.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--enable-unsafe-webgpu',
    '--enable-unsafe-swiftshader',
  ],
});
const p = await b.newPage();
p.on('pageerror', (e) => console.log('pageerror:', e.message));
p.on('request', (r) => console.log(Date.now() % 100000, 'req', r.method(), r.url()));
p.on('requestfinished', (r) => console.log(Date.now() % 100000, 'done', r.method(), r.url()));
await p.goto('http://127.0.0.1:8799/demo/', { waitUntil: 'networkidle0' });
await p.click('[data-aisle-list="Featured"] li:nth-child(2) a');
await p.waitForSelector('article.product');
await p.click('#add');
await p.click('#wish');
await p.click('#share');
await p.click('.star[data-rating="4"]');
await new Promise((r) => setTimeout(r, 1300));
await p.type('#q', 'trail boots');
console.log('typed');
await Promise.all([
  p.waitForNavigation({ waitUntil: 'networkidle0', timeout: 8000 }).catch((e) => console.log('nav', e.message)),
  p.keyboard.press('Enter'),
]);
console.log(p.url());
await b.close();
