import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The NATS the cluster tests use: the local one `scripts/services` starts. */
export const natsUrl = process.env.E2E_NATS_URL ?? 'nats://127.0.0.1:4222';
/** The PostgreSQL database shared instances keep their data in (each test in a schema of its
 *  own): the local one `scripts/services` starts. */
const postgresUrl = process.env.E2E_POSTGRES_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/test';

/** A new, empty schema in the test database; returns the URL that uses it and a way to drop
 *  it (with psql, PostgreSQL's own client). */
export function freshDatabase(): { url: string; drop: () => void } {
  const schema = `e2e_${Date.now()}_${process.pid}`;
  const psql = (sql: string) =>
    execFileSync('psql', [postgresUrl, '-q', '-c', sql], {
      env: { ...process.env, PGOPTIONS: '--client-min-messages=warning' },
    });
  psql(`CREATE SCHEMA ${schema}`);
  return {
    url: `${postgresUrl}?options[search_path]=${schema}`,
    drop: () => psql(`DROP SCHEMA ${schema} CASCADE`),
  };
}

/** One OnAir server run by a test: the real binary, its own database, on `port`. */
export class Instance {
  private constructor(
    readonly name: string,
    readonly port: number,
    readonly scheme: 'http' | 'https',
    private readonly process: ChildProcess,
  ) {}

  /** Starts instance `name` of `cluster` and waits until it answers. */
  static start(cluster: string, name: string, port: number): Promise<Instance> {
    return Instance.launch(`${cluster}-${name}`, port, {
      ONAIR_CLUSTER_NATS_URL: natsUrl,
      ONAIR_CLUSTER_NAME: cluster,
    });
  }

  /** Starts instance `name` of `cluster` on the shared PostgreSQL `database`, with no demo. */
  static startShared(cluster: string, name: string, port: number, database: string): Promise<Instance> {
    return Instance.launch(`${cluster}-${name}`, port, {
      ONAIR_CLUSTER_NATS_URL: natsUrl,
      ONAIR_CLUSTER_NAME: cluster,
      ONAIR_DATABASE_URL: database,
      ONAIR_DEMO_ENABLED: 'false',
    });
  }

  /** Starts a server named `name` with `env` on top of the defaults, and waits until it
   *  answers (over HTTPS when `env` gives it a certificate). */
  static async launch(name: string, port: number, env: Record<string, string>): Promise<Instance> {
    const scheme = env.ONAIR_SERVER_TLS_CERT ? 'https' : 'http';
    const child = spawn(process.env.E2E_SERVER ?? 'target/debug/onair', [], {
      cwd: '..',
      stdio: 'ignore',
      env: {
        ...process.env,
        ONAIR_SERVER_ADDR: `127.0.0.1:${port}`,
        ONAIR_RTMP_ADDR: '127.0.0.1:0',
        ONAIR_DATABASE_PATH: join(tmpdir(), `onair-${name}-${Date.now()}.db`),
        ONAIR_RECORDINGS_DIR: join(tmpdir(), `onair-${name}-${Date.now()}-recordings`),
        RUST_LOG: 'warn',
        ...env,
      },
    });
    const instance = new Instance(name, port, scheme, child);
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`instance ${name} exited with ${child.exitCode}`);
      if (await answers(`127.0.0.1`, port)) return instance;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`instance ${name} did not answer within 30 s`);
  }

  get url(): string {
    return `${this.scheme}://127.0.0.1:${this.port}`;
  }

  /** Kills it at once (SIGKILL), as a crash or a pulled plug would. */
  crash() {
    this.process.kill('SIGKILL');
  }

  /** Stops it cleanly, if it still runs. */
  stop() {
    if (this.process.exitCode === null) this.process.kill('SIGTERM');
  }
}

/** Whether something accepts connections on `host`:`port` (the server is listening). */
function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Deletes `cluster`'s key-value buckets and chat stream from NATS (kept on its disk
 *  otherwise). */
export async function forgetCluster(cluster: string) {
  const { hostname, port } = new URL(natsUrl);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const done = new Promise<void>((resolve) => socket.on('data', (data) => data.includes('PONG') && resolve()));
  socket.write('CONNECT {"verbose":false}\r\n');
  for (const bucket of ['origins', 'live', 'viewers']) {
    socket.write(`PUB $JS.API.STREAM.DELETE.KV_${cluster}-${bucket} 0\r\n\r\n`);
  }
  socket.write(`PUB $JS.API.STREAM.DELETE.${cluster}-chat 0\r\n\r\n`);
  socket.write('PING\r\n');
  await done;
  socket.destroy();
}
