import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { SlowLink } from './slow-link';

/** The browser engines Playwright cannot drive here, each through its own WebDriver server:
 * Debian's Firefox ESR (geckodriver, from crates.io) and WebKitGTK's MiniBrowser
 * (webkit2gtk-driver; under Xvfb, since it hangs with --headless). */
export type Engine = 'firefox' | 'webkit';

const MINIBROWSER = [
  '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.0/MiniBrowser',
  '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
].find((path) => existsSync(path));

/** geckodriver refuses a body without this. */
const JSON_BODY = { 'Content-Type': 'application/json; charset=utf-8' };

/** A free port on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** One browser session over WebDriver (the W3C protocol, plain HTTP and JSON). */
export class WebDriverSession {
  private constructor(
    private readonly driver: ChildProcess,
    private readonly base: string,
    private readonly id: string,
  ) {}

  /** Starts `engine`'s driver and a session of its browser; call `close` to end both. Behind
   * `link`, the driver (and so the browser it starts) runs on the far side of a slow link, and
   * listens there. */
  static async start(engine: Engine, link?: SlowLink): Promise<WebDriverSession> {
    const port = await freePort();
    const host = link ? SlowLink.viewerAddress : '127.0.0.1';
    const [command, args]: [string, string[]] =
      engine === 'firefox'
        ? ['geckodriver', ['--host', host, '--port', String(port), '--allow-hosts', host]]
        : ['xvfb-run', ['-a', 'WebKitWebDriver', `--port=${port}`, `--host=${link ? 'all' : 'local'}`]];
    const [program, argv] = link ? link.inside(command, args) : [command, args];
    const driver = spawn(program, argv, { stdio: 'ignore', detached: engine === 'webkit' });
    const base = `http://${host}:${port}`;
    const until = Date.now() + 20_000;
    for (;;) {
      const ready = await fetch(`${base}/status`)
        .then((r) => r.json())
        .then((s) => s.value?.ready === true)
        .catch(() => false);
      if (ready) break;
      if (Date.now() > until) {
        stop(driver);
        throw new Error(`the ${engine} WebDriver server did not start`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const capabilities =
      engine === 'firefox'
        ? {
            browserName: 'firefox',
            'moz:firefoxOptions': {
              binary: '/usr/bin/firefox-esr',
              args: ['-headless'],
              prefs: { 'media.autoplay.default': 0 },
            },
          }
        : {
            browserName: 'MiniBrowser',
            'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
          };
    const created = await fetch(`${base}/session`, {
      method: 'POST',
      headers: JSON_BODY,
      body: JSON.stringify({ capabilities: { alwaysMatch: capabilities } }),
    }).then((r) => r.json());
    const id = created.value?.sessionId;
    if (!id) {
      stop(driver);
      throw new Error(`no ${engine} session: ${JSON.stringify(created.value)}`);
    }
    return new WebDriverSession(driver, base, id);
  }

  private async command(method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(`${this.base}/session/${this.id}${path}`, {
      method,
      headers: JSON_BODY,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(`${path}: ${JSON.stringify(answer.value)}`);
    return answer.value;
  }

  goto(url: string): Promise<void> {
    return this.command('POST', '/url', { url });
  }

  /** Runs `script` (a function body; `arguments` holds `args`) in the page; its result. */
  run<T>(script: string, ...args: unknown[]): Promise<T> {
    return this.command('POST', '/execute/sync', { script, args });
  }

  /** Asks `script` until it returns a truthy value, for at most `timeout` ms; that value. On
   * timeout the error holds what `explain` (a script) answers then: what the page showed. */
  async poll<T>(what: string, script: string, timeout = 30_000, explain?: string): Promise<T> {
    const until = Date.now() + timeout;
    for (;;) {
      const value = await this.run<T>(script);
      if (value) return value;
      if (Date.now() > until) {
        const seen = explain === undefined ? '' : `; the page: ${JSON.stringify(await this.run(explain).catch(String))}`;
        throw new Error(`${what}: not within ${timeout} ms${seen}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Ends the session, then the driver, and waits (up to 5 s) for the driver to exit. */
  async close() {
    await this.command('DELETE', '').catch(() => {});
    const exited = new Promise((resolve) => {
      if (this.driver.exitCode !== null) resolve(undefined);
      this.driver.once('exit', resolve);
      setTimeout(resolve, 5_000);
    });
    stop(this.driver);
    await exited;
  }
}

/** Ends a driver and whatever it started (xvfb-run's X server and browser share its group). */
function stop(driver: ChildProcess) {
  if (driver.pid === undefined) return;
  try {
    process.kill(-driver.pid, 'SIGTERM');
  } catch {
    driver.kill('SIGTERM');
  }
}
