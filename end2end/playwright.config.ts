import { defineConfig } from '@playwright/test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The server under test: the real binary built by `cargo leptos build`, run from the repository
// root with the demo channel (real ffmpeg), on its own port.
const port = Number(process.env.E2E_PORT ?? 3111);
// Its RTMP port, for streams published as OBS would.
const rtmpPort = Number(process.env.E2E_RTMP_PORT ?? 19351);
// Each run gets a fresh database, so accounts from earlier runs never collide.
const database = join(tmpdir(), `onair-e2e-${process.pid}-${Date.now()}.db`);
// ... and a fresh folder for the recordings of its broadcasts.
const recordings = join(tmpdir(), `onair-e2e-${process.pid}-${Date.now()}-recordings`);

export default defineConfig({
  // Chromium through Playwright; Firefox ESR and WebKitGTK through their WebDriver servers
  // (Playwright cannot download its own builds of those here).
  projects: [
    { name: 'chromium', testDir: './tests' },
    // One retry here: WebKit's first watch of the demo has twice not started within 30 s in the
    // whole suite (never alone). A retry that passes is reported as flaky, with the page's state
    // at the first failure (webdriver/watch.ts) for the next look; two failures fail the run.
    { name: 'webdriver', testDir: './webdriver', retries: 1 },
  ],
  timeout: 90_000,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: {
      // Debian's Chromium: Playwright cannot download browsers here, and needs none.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--autoplay-policy=no-user-gesture-required',
        // The studio's camera, microphone and screen: Chromium's fake devices, allowed.
        '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      ],
    },
  },
  webServer: {
    command: process.env.E2E_SERVER ?? 'target/debug/onair',
    cwd: '..',
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      // Every address of this machine, not only loopback: a browser behind a slow link (a
      // network namespace, support/slow-link.ts) reaches it there.
      ONAIR_SERVER_ADDR: `0.0.0.0:${port}`,
      ONAIR_RTMP_ADDR: `127.0.0.1:${rtmpPort}`,
      ONAIR_DATABASE_PATH: database,
      ONAIR_RECORDINGS_DIR: recordings,
      // Every test signs up from this one address.
      ONAIR_ACCOUNTS_SIGNUPS_PER_ADDRESS_PER_HOUR: '1000',
      // The webhook tests' receivers, and the restream tests' RTMP servers, listen on loopback.
      ONAIR_WEBHOOKS_ALLOW_PRIVATE: 'true',
      ONAIR_RESTREAM_ALLOW_PRIVATE: 'true',
      RUST_LOG: 'info,mp4_atom=error',
    },
  },
});
