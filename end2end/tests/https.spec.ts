import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { WatchPage } from '../pages/watch-page';
import { Instance } from '../support/cluster';

/** A self-signed certificate for 127.0.0.1, made now with openssl; its two PEM paths. */
function certificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'onair-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { cert, key };
}

// Over HTTP/1.1 Chromium opens at most six connections to a site and every watching tab holds
// one event stream, so a seventh tab would wait for ever. Served over HTTPS, the server offers
// HTTP/2 and one connection carries every tab's stream.
test.describe('served over HTTPS', () => {
  let server: Instance;

  test.beforeAll(async () => {
    const { cert, key } = certificate();
    server = await Instance.launch('https', Number(process.env.E2E_HTTPS_PORT ?? 3131), {
      ONAIR_SERVER_TLS_CERT: cert,
      ONAIR_SERVER_TLS_KEY: key,
    });
  });

  test.afterAll(() => server?.stop());

  test('ten tabs of one browser all play the live channel', async ({ browser }) => {
    // Ten tabs decoding video, two demo encoders and the servers share the machine's two cores.
    test.setTimeout(240_000);
    const context = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: server.url });
    const tabs = [];
    for (let i = 0; i < 10; i++) {
      const page = await context.newPage();
      const watch = new WatchPage(page);
      await watch.open('demo');
      tabs.push({ page, watch });
    }
    for (const { page, watch } of tabs) {
      await watch.waitForPlayback(30_000);
      const protocol = await page.evaluate(
        () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
      );
      expect(protocol).toBe('h2');
    }
    // Every tab keeps playing, the first as much as the tenth.
    const positions = await Promise.all(tabs.map(({ watch }) => watch.currentTime()));
    for (const [i, { watch }] of tabs.entries()) {
      await expect.poll(() => watch.currentTime(), { timeout: 15_000 }).toBeGreaterThan(positions[i] + 2);
    }
    await expect(tabs[0].watch.viewers).toHaveText(/\b10\b/, { timeout: 10_000 });
    await context.close();
  });
});
