import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NETNS = 'onair-slow';
/** The server's side of the link (in the machine's own namespace) and the viewer's. */
const HOST_IF = 'onair-slow-h';
const VIEWER_IF = 'onair-slow-v';
const HOST_ADDR = '10.77.0.1';
const VIEWER_ADDR = '10.77.0.2';
/** The bottleneck's queue, as time at its rate: what a home router or a cell tower holds. */
const QUEUE_MS = 200;

/**
 * A real slow link between the server and a browser: a network namespace joined to this one by
 * a veth pair, the server-to-viewer direction shaped by the kernel (`tc tbf`: a token bucket at
 * the given rate with a bounded queue that drops past it). Unlike a proxy that reads slowly, the
 * server's TCP sees what it would see over a slow network: a small window, a queue that fills,
 * losses, so its own send queue backs up within a round trip or two. Needs CAP_NET_ADMIN (root).
 *
 * The server must listen where the namespace reaches it ({@link SlowLink.hostAddress}); a browser
 * launched with {@link SlowLink.chromium} as its executable runs inside the namespace.
 */
export class SlowLink {
  private constructor(readonly chromium: string) {}

  /** Why a slow link cannot be made here, or null when it can. */
  static unavailable(): string | null {
    try {
      execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
      execFileSync('tc', ['-V'], { stdio: 'ignore' });
    } catch {
      return 'needs iproute2 (ip, tc)';
    }
    if (process.getuid?.() !== 0) return 'needs root (CAP_NET_ADMIN) to make a network namespace';
    return null;
  }

  /** The address the server listens on for the viewer's side. */
  static readonly hostAddress = HOST_ADDR;

  /** Makes the link (removing one a killed run left behind), fast until {@link limit}. */
  static up(browserPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'): SlowLink {
    SlowLink.remove();
    const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
    const inside = (...args: string[]) => execFileSync('ip', ['netns', 'exec', NETNS, ...args], { stdio: 'pipe' });
    ip('netns', 'add', NETNS);
    ip('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', VIEWER_IF);
    ip('link', 'set', VIEWER_IF, 'netns', NETNS);
    ip('addr', 'add', `${HOST_ADDR}/30`, 'dev', HOST_IF);
    ip('link', 'set', HOST_IF, 'up');
    inside('ip', 'addr', 'add', `${VIEWER_ADDR}/30`, 'dev', VIEWER_IF);
    inside('ip', 'link', 'set', VIEWER_IF, 'up');
    inside('ip', 'link', 'set', 'lo', 'up');
    const dir = mkdtempSync(join(tmpdir(), 'onair-slow-'));
    const chromium = join(dir, 'chromium');
    writeFileSync(chromium, `#!/bin/sh\nexec ip netns exec ${NETNS} ${browserPath} "$@"\n`);
    chmodSync(chromium, 0o755);
    const link = new SlowLink(chromium);
    link.limit(null);
    return link;
  }

  /** The viewer's side's own address (where a WebDriver server inside the namespace listens). */
  static readonly viewerAddress = VIEWER_ADDR;

  /** `command` with `args`, run inside the namespace: what a browser it starts reaches goes over
   * the link. */
  inside(command: string, args: string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', NETNS, command, ...args]];
  }

  /** The server's address as a browser inside the namespace reaches it. */
  url(port: number): string {
    return `http://${HOST_ADDR}:${port}`;
  }

  /** Holds the server-to-viewer direction to `kbps` kbit/s, or lets it run at full speed. */
  limit(kbps: number | null) {
    if (kbps === null) {
      execFileSync('tc', ['qdisc', 'replace', 'dev', HOST_IF, 'root', 'pfifo', 'limit', '1000'], { stdio: 'pipe' });
      return;
    }
    // A token bucket at that rate whose queue holds QUEUE_MS of it; past that, packets drop, as
    // a router's queue drops them.
    const shape = ['rate', `${kbps}kbit`, 'burst', '4kb', 'latency', `${QUEUE_MS}ms`];
    execFileSync('tc', ['qdisc', 'replace', 'dev', HOST_IF, 'root', 'tbf', ...shape], { stdio: 'pipe' });
  }

  /** Removes the link (and with it the namespace). */
  down() {
    SlowLink.remove();
  }

  private static remove() {
    try {
      execFileSync('ip', ['netns', 'del', NETNS], { stdio: 'ignore' });
    } catch {
      // Not there.
    }
    try {
      execFileSync('ip', ['link', 'del', HOST_IF], { stdio: 'ignore' });
    } catch {
      // Went with the namespace.
    }
  }
}
