"""What the cluster scripts share: starting an OnAir instance of a cluster, and deleting a
cluster's key-value buckets and chat stream from NATS afterwards (kept in its store
otherwise)."""
import os, socket, subprocess, time


def start_instance(server, name, port, work, nats_url, cluster, **settings):
    """Starts instance `name` on `port` (RTMP on port + 10) with its own database in `work`;
    extra `settings` are ONAIR_* variables. Returns the process once it accepts connections."""
    env = dict(os.environ, ONAIR_SERVER_ADDR=f"127.0.0.1:{port}", ONAIR_RTMP_ADDR=f"127.0.0.1:{port + 10}",
               ONAIR_DATABASE_PATH=f"{work}/{name}.db", ONAIR_MEDIA_DIR=f"{work}/media",
               ONAIR_CLUSTER_NATS_URL=nats_url, ONAIR_CLUSTER_NAME=cluster, RUST_LOG="warn", **settings)
    proc = subprocess.Popen([server], env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"instance {name} did not start")


def forget_cluster(nats_url, cluster):
    """Deletes `cluster`'s key-value buckets and chat stream (JetStream's API over the plain
    NATS protocol)."""
    host, port = nats_url.split("//")[-1].split(":")
    with socket.create_connection((host, int(port))) as s:
        s.recv(4096)
        s.sendall(b'CONNECT {"verbose":false}\r\n')
        for bucket in ("origins", "live", "viewers"):
            s.sendall(f"PUB $JS.API.STREAM.DELETE.KV_{cluster}-{bucket} 0\r\n\r\n".encode())
        s.sendall(f"PUB $JS.API.STREAM.DELETE.{cluster}-chat 0\r\n\r\n".encode())
        s.sendall(b"PING\r\n")
        s.recv(4096)
