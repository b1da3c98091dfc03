//! onair-load: opens N Server-Sent Events viewers against a running OnAir server on loopback,
//! keeps them for T seconds, and reports what they received, how late it arrived (arrival time
//! minus each fragment's prft time), who was skipped forward, and what it cost the server
//! (CPU and peak RSS, from /proc).
//!
//!   cargo run --release --features ssr --bin onair-load -- --viewers 500 --seconds 30
//!
//! Options: --url http://127.0.0.1:3000/live/demo/events  --viewers N (≤ 20000)
//!          --seconds T (≤ 600)  --slow N (of the viewers, read slowly)  --slow-kbps K
//!          --ramp N (connections opened per second)  --pid P (the server; found by port otherwise)
//!          --chat (a fresh account posts a message every 2.5 s; reports chat delivery delay)
//!          --sources N (spread viewers over N loopback addresses 127.0.1.x, as N households)
//!          --rungs a,b (viewer n picks rung n mod 2 of the quality ladder, e.g. source,240p,audio;
//!          unset: the server chooses each viewer's rung; the report is per rung either way)
//!          --gzip (ask for the stream in gzip, as browsers do; every 10th viewer inflates it and
//!          is measured, the others count its bytes: inflating them all takes this tool's thread)
//!
//! It runs on one thread and parses only what it measures, so on a shared machine the limit it
//! reports is the server's.

mod chat;
mod chunked;
mod procstat;
mod sse;

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use chunked::Dechunker;
use onair::live::prft;
use sse::{Event, SseParser};

const MAX_VIEWERS: usize = 20_000;
const MAX_SECONDS: u64 = 600;
/// Viewers settle (their first GOP burst arrives) before measuring starts.
const SETTLE: Duration = Duration::from_secs(2);
/// With --gzip, one viewer in this many inflates its stream and is measured.
const INFLATE_EVERY: usize = 10;

struct Options {
    addr: SocketAddr,
    host: String,
    path: String,
    viewers: usize,
    seconds: u64,
    slow: usize,
    slow_bytes_per_sec: u64,
    ramp: usize,
    pid: Option<u32>,
    chat: bool,
    /// Loopback addresses the viewers connect from (0: the default one).
    sources: u32,
    /// Rungs the viewers pick in turn (empty: the server chooses).
    rungs: Vec<String>,
    /// Ask for the stream in gzip, as a browser does.
    gzip: bool,
}

impl Options {
    /// The path viewer `index` asks for: with its rung when the viewers pick them.
    fn path_of(&self, index: usize) -> String {
        if self.rungs.is_empty() {
            return self.path.clone();
        }
        let rung = &self.rungs[index % self.rungs.len()];
        let join = if self.path.contains('?') { '&' } else { '?' };
        format!("{}{join}rung={rung}", self.path)
    }
}

fn parse_args() -> Result<Options, String> {
    let mut url = "http://127.0.0.1:3000/live/demo/events".to_string();
    let (mut viewers, mut seconds, mut slow, mut slow_kbps, mut ramp, mut pid) =
        (100, 20, 0, 100, 500, None);
    let mut chat = false;
    let mut sources = 0;
    let mut rungs = Vec::new();
    let mut gzip = false;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: not a number: {v}"))
        };
        match flag.as_str() {
            "--url" => url = value()?,
            "--viewers" => viewers = number(value()?)? as usize,
            "--seconds" => seconds = number(value()?)?,
            "--slow" => slow = number(value()?)? as usize,
            "--slow-kbps" => slow_kbps = number(value()?)?,
            "--ramp" => ramp = number(value()?)?.max(1) as usize,
            "--pid" => pid = Some(number(value()?)? as u32),
            "--chat" => chat = true,
            "--gzip" => gzip = true,
            "--sources" => sources = number(value()?)?.min(250) as u32,
            "--rungs" => {
                rungs = value()?
                    .split(',')
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(String::from)
                    .collect();
                if let Some(bad) = rungs
                    .iter()
                    .find(|r| !r.chars().all(|c| c.is_ascii_alphanumeric()))
                {
                    return Err(format!("--rungs: {bad:?} is not a rung name"));
                }
            }
            "--help" | "-h" => {
                return Err(include_str!("main.rs")
                    .lines()
                    .take(18)
                    .collect::<Vec<_>>()
                    .join("\n"));
            }
            other => return Err(format!("unknown option {other} (see --help)")),
        }
    }
    if viewers == 0
        || viewers > MAX_VIEWERS
        || seconds == 0
        || seconds > MAX_SECONDS
        || slow > viewers
    {
        return Err(format!(
            "need 1..={MAX_VIEWERS} viewers, 1..={MAX_SECONDS} seconds, slow ≤ viewers"
        ));
    }
    let rest = url.strip_prefix("http://").ok_or("only http:// URLs")?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let addr = host
        .to_socket_addrs()
        .map_err(|e| format!("{host}: {e}"))?
        .next()
        .ok_or(format!("{host}: no address"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "{host} is not a loopback address: this tool only loads this machine"
        ));
    }
    Ok(Options {
        addr,
        host: host.to_string(),
        path,
        viewers,
        seconds,
        slow,
        slow_bytes_per_sec: slow_kbps * 125,
        ramp,
        pid,
        chat,
        sources,
        rungs,
        gzip,
    })
}

fn now_unix_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// What one viewer saw.
#[derive(Default)]
struct ViewerReport {
    connected: bool,
    error: Option<String>,
    /// Media events and bytes inside the measuring window.
    media: u64,
    bytes: u64,
    lags_ms: Vec<f32>,
    /// Chat messages received in the window, and how long each took from being stored.
    chat_delays_ms: Vec<f32>,
    /// Times the server skipped this viewer forward (it says so in a comment).
    skips: u32,
    slow: bool,
    /// Its stream, in gzip, was read and counted, not inflated: nothing else is known of it.
    read_only: bool,
    /// The rung it was last sent (from its last init event), and how often that changed.
    rung: String,
    switches: u32,
}

impl ViewerReport {
    fn on_event(&mut self, event: &Event, last_id: &mut Option<u64>, measuring: bool) {
        if event.name == b"chat" {
            if let Some(sent) = chat::sent_at(&event.data_head).filter(|_| measuring) {
                self.chat_delays_ms.push((now_unix_ms() - sent) as f32);
            }
            return;
        }
        if event.name == b"init" {
            let rung = rung_of(&event.data_head);
            if !self.rung.is_empty() && rung != self.rung {
                self.switches += 1;
            }
            self.rung = rung;
            return;
        }
        if event.name != b"media" {
            return;
        }
        *last_id = event.id.or(*last_id);
        if !measuring {
            return;
        }
        self.media += 1;
        let head = &event.data_head[..event.data_head.len() / 4 * 4];
        if let Some(p) = base64::engine::general_purpose::STANDARD
            .decode(head)
            .ok()
            .and_then(|b| prft::find(&b))
        {
            self.lags_ms.push((now_unix_ms() - p.unix_ms) as f32);
        }
    }
}

/// The rung an init event's JSON names (its `rung` comes before the init segment).
fn rung_of(data_head: &[u8]) -> String {
    let text = String::from_utf8_lossy(data_head);
    text.split_once("\"rung\":\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map_or_else(|| "?".to_string(), |(rung, _)| rung.to_string())
}

/// Viewer `index`'s connection: from its own loopback address when `--sources` asks for
/// several.
async fn connect(opts: &Options, index: usize) -> std::io::Result<TcpStream> {
    if opts.sources == 0 || !opts.addr.is_ipv4() {
        return TcpStream::connect(opts.addr).await;
    }
    let socket = tokio::net::TcpSocket::new_v4()?;
    let host = (index as u32 % opts.sources) + 1;
    socket.bind(std::net::SocketAddr::from(([127, 0, 1, host as u8], 0)))?;
    socket.connect(opts.addr).await
}

async fn viewer(
    opts: Arc<Options>,
    index: usize,
    slow: bool,
    measure_from: Instant,
    until: Instant,
) -> ViewerReport {
    let mut report = ViewerReport {
        slow,
        ..Default::default()
    };
    if let Err(err) = watch(&opts, index, &mut report, measure_from, until).await {
        report.error = Some(err);
    }
    report
}

async fn watch(
    opts: &Options,
    index: usize,
    report: &mut ViewerReport,
    measure_from: Instant,
    until: Instant,
) -> Result<(), String> {
    let mut stream = tokio::time::timeout(Duration::from_secs(5), connect(opts, index))
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| format!("connect: {e}"))?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n{}\r\n",
        opts.path_of(index),
        opts.host,
        if opts.gzip {
            "Accept-Encoding: gzip\r\n"
        } else {
            ""
        }
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("send: {e}"))?;
    let mut buf = vec![0u8; if report.slow { 2048 } else { 64 * 1024 }];
    let mut head = Vec::new();
    let body_start = loop {
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("closed before the response headers".into());
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(at) = memchr::memmem::find(&head, b"\r\n\r\n") {
            break at + 4;
        }
    };
    let headers = String::from_utf8_lossy(&head[..body_start]).to_ascii_lowercase();
    if !headers.starts_with("http/1.1 200") {
        return Err(headers.lines().next().unwrap_or("").to_string());
    }
    if !headers.contains("transfer-encoding: chunked") {
        return Err("expected a chunked event stream".into());
    }
    let gzip = headers.contains("content-encoding: gzip");
    if opts.gzip && !gzip {
        return Err("asked for gzip, got the plain stream".into());
    }
    report.connected = true;
    report.read_only = gzip && !index.is_multiple_of(INFLATE_EVERY);
    let mut reader = StreamReader {
        // A decoder's state is tens of KiB: none for a stream only counted.
        gunzip: (gzip && !report.read_only).then(|| flate2::write::GzDecoder::new(Vec::new())),
        read_only: report.read_only,
        ..StreamReader::default()
    };
    reader.feed(&head[body_start..], report, measure_from)?;
    // The deadline is checked before each read: a read that is always ready (a slow reader
    // with a full socket buffer) would otherwise never let a timeout fire.
    while Instant::now() < until {
        let read = tokio::time::timeout_at(until.into(), stream.read(&mut buf)).await;
        let n = match read {
            Err(_) => return Ok(()), // time is up
            Ok(Ok(0)) => return Err("the server closed the connection".into()),
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(format!("read: {e}")),
        };
        reader.feed(&buf[..n], report, measure_from)?;
        if reader.dechunk.done() {
            return Err("the server ended the stream".into());
        }
        if report.slow {
            let pause = Duration::from_secs_f64(n as f64 / opts.slow_bytes_per_sec.max(1) as f64);
            tokio::time::sleep(pause).await;
        }
    }
    Ok(())
}

/// Turns the bytes of one connection into events.
struct StreamReader {
    dechunk: Dechunker,
    /// The stream's gzip, inflated as it comes, when it is in gzip.
    gunzip: Option<flate2::write::GzDecoder<Vec<u8>>>,
    /// Its chunks are taken apart, and their contents left.
    read_only: bool,
    parser: SseParser,
    last_id: Option<u64>,
}

impl Default for StreamReader {
    fn default() -> Self {
        Self {
            dechunk: Dechunker::new(),
            gunzip: None,
            read_only: false,
            parser: SseParser::default(),
            last_id: None,
        }
    }
}

impl StreamReader {
    fn feed(
        &mut self,
        data: &[u8],
        report: &mut ViewerReport,
        measure_from: Instant,
    ) -> Result<(), String> {
        let measuring = Instant::now() >= measure_from;
        if measuring {
            report.bytes += data.len() as u64;
        }
        let Self {
            dechunk,
            gunzip,
            read_only,
            parser,
            last_id,
        } = self;
        let mut bad_gzip = false;
        let fed = dechunk
            .feed(data, |body| match gunzip {
                _ if *read_only => {}
                None => parser.feed(body, |event| report.on_event(event, last_id, measuring)),
                Some(gunzip) => {
                    // Flushed at once: the decoder holds back what it inflated otherwise.
                    bad_gzip |= std::io::Write::write_all(gunzip, body)
                        .and_then(|()| std::io::Write::flush(gunzip))
                        .is_err();
                    let inflated = std::mem::take(gunzip.get_mut());
                    parser.feed(&inflated, |event| {
                        report.on_event(event, last_id, measuring)
                    });
                    // The buffer is kept for the next piece.
                    *gunzip.get_mut() = inflated;
                    gunzip.get_mut().clear();
                }
            })
            .map_err(|_| "malformed chunked encoding".to_string());
        if bad_gzip {
            return Err("malformed gzip".into());
        }
        if measuring {
            report.skips = parser.skips;
        }
        fed
    }
}

fn percentile(sorted: &[f32], p: f64) -> f32 {
    if sorted.is_empty() {
        return f32::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Summarises a group of viewers (all, normal or slow).
fn summarise(label: &str, reports: &[&ViewerReport], seconds: f64) {
    if reports.is_empty() {
        return;
    }
    let n = reports.len() as f64;
    let media: u64 = reports.iter().map(|r| r.media).sum();
    let bytes: u64 = reports.iter().map(|r| r.bytes).sum();
    let mut lags: Vec<f32> = reports
        .iter()
        .flat_map(|r| r.lags_ms.iter().copied())
        .collect();
    lags.sort_by(f32::total_cmp);
    let skipped = reports.iter().filter(|r| r.skips > 0).count();
    let skips: u32 = reports.iter().map(|r| r.skips).sum();
    println!(
        "{label}: {:.1} media events/s and {:.0} kbit/s per viewer; lag p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} samples); skipped forward: {skipped} viewers ({skips} skips)",
        media as f64 / n / seconds,
        bytes as f64 * 8.0 / 1000.0 / n / seconds,
        percentile(&lags, 0.50),
        percentile(&lags, 0.95),
        percentile(&lags, 0.99),
        lags.last().copied().unwrap_or(f32::NAN),
        lags.len(),
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let opts = match parse_args() {
        Ok(opts) => Arc::new(opts),
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let fd_limit = onair::server::limits::raise_open_file_limit();
    if (opts.viewers as u64) + 64 > fd_limit {
        eprintln!(
            "warning: open-file limit {fd_limit} is below {} viewers",
            opts.viewers
        );
    }
    // The chatter's account is made first: hashing its password takes the server ~19 MiB for a
    // moment, which must not count as the viewers' memory.
    let cookie = if opts.chat {
        match chat::sign_up(opts.addr, &opts.host).await {
            Ok(cookie) => Some(cookie),
            Err(err) => {
                eprintln!("chat: {err}");
                None
            }
        }
    } else {
        None
    };
    let server = opts.pid.or_else(|| procstat::listener_pid(opts.addr));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_before = server.and_then(procstat::rss_bytes);
    let start = Instant::now();
    let ramp = Duration::from_secs_f64(opts.viewers as f64 / opts.ramp as f64);
    let measure_from = start + ramp + SETTLE;
    let until = measure_from + Duration::from_secs(opts.seconds);

    // Peak server memory, sampled while the viewers run.
    let sampler = server.map(|pid| {
        tokio::spawn(async move {
            let mut peak = 0;
            while Instant::now() < until {
                peak = peak.max(procstat::rss_bytes(pid).unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            peak
        })
    });
    let mut tasks = Vec::with_capacity(opts.viewers);
    for i in 0..opts.viewers {
        let at = start + Duration::from_secs_f64(i as f64 / opts.ramp as f64);
        tokio::time::sleep_until(at.into()).await;
        tasks.push(tokio::spawn(viewer(
            opts.clone(),
            i,
            i < opts.slow,
            measure_from,
            until,
        )));
    }
    // The chatter posts through the measuring window.
    let chatter = cookie.map(|cookie| {
        let channel = opts
            .path
            .strip_prefix("/live/")
            .and_then(|p| p.split('/').next())
            .unwrap_or("demo")
            .to_string();
        let (addr, host) = (opts.addr, opts.host.clone());
        tokio::spawn(async move {
            tokio::time::sleep_until(measure_from.into()).await;
            let (mut posted, mut failed) = (0u32, None);
            while Instant::now() + chat::EVERY / 2 < until {
                let text = format!("load {posted}");
                match chat::post(addr, &host, &cookie, &channel, &text).await {
                    Ok(()) => posted += 1,
                    Err(err) => failed = failed.or(Some(err)),
                }
                tokio::time::sleep(chat::EVERY).await;
            }
            (posted, failed)
        })
    });
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu_from = server.and_then(procstat::cpu_seconds);
    let own_cpu_from = procstat::cpu_seconds(std::process::id());
    let mut reports = Vec::with_capacity(tasks.len());
    for task in tasks {
        reports.push(task.await.unwrap_or_default());
    }
    let cpu_to = server.and_then(procstat::cpu_seconds);
    let own_cpu_to = procstat::cpu_seconds(std::process::id());
    let peak = match sampler {
        Some(task) => task.await.ok(),
        None => None,
    };

    let seconds = opts.seconds as f64;
    let opened = reports.iter().filter(|r| r.connected).count();
    let failed: Vec<&str> = reports.iter().filter_map(|r| r.error.as_deref()).collect();
    println!(
        "target: http://{}{} for {seconds:.0} s (after {:.1} s ramp-up and settling)",
        opts.host,
        opts.path,
        (measure_from - start).as_secs_f64()
    );
    println!(
        "connections: {} wanted, {opened} opened, {} failed or dropped",
        opts.viewers,
        failed.len()
    );
    if let Some(first) = failed.first() {
        println!("  first failure: {first}");
    }
    let (read_only, reports): (Vec<_>, Vec<_>) = reports.into_iter().partition(|r| r.read_only);
    if !read_only.is_empty() {
        let bytes: u64 = read_only.iter().map(|r| r.bytes).sum();
        println!(
            "read only (gzip, not inflated): {} viewers, {:.0} kbit/s per viewer; the rest are measured",
            read_only.len(),
            bytes as f64 * 8.0 / 1000.0 / read_only.len() as f64 / seconds
        );
    }
    let all: Vec<&ViewerReport> = reports.iter().collect();
    summarise("all viewers", &all, seconds);
    if let Some(task) = chatter {
        let (posted, failed) = task
            .await
            .unwrap_or((0, Some("the chatter crashed".into())));
        let mut delays: Vec<f32> = reports
            .iter()
            .flat_map(|r| r.chat_delays_ms.iter().copied())
            .collect();
        delays.sort_by(f32::total_cmp);
        println!(
            "chat: {posted} messages posted, {} deliveries of {} expected; delay p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            delays.len(),
            posted as usize * opened,
            percentile(&delays, 0.50),
            percentile(&delays, 0.95),
            percentile(&delays, 0.99),
            delays.last().copied().unwrap_or(f32::NAN),
        );
        if let Some(err) = failed {
            println!("  a post failed: {err}");
        }
    }
    if opts.slow > 0 {
        let normal: Vec<&ViewerReport> = reports.iter().filter(|r| !r.slow).collect();
        let slow: Vec<&ViewerReport> = reports.iter().filter(|r| r.slow).collect();
        summarise("normal viewers", &normal, seconds);
        summarise("slow viewers", &slow, seconds);
    }
    // By the rung each viewer ended on, in the order they were first met.
    let mut rungs: Vec<&str> = Vec::new();
    for report in &reports {
        if !rungs.contains(&report.rung.as_str()) {
            rungs.push(&report.rung);
        }
    }
    for rung in rungs {
        let on: Vec<&ViewerReport> = reports.iter().filter(|r| r.rung == rung).collect();
        let switches: u32 = on.iter().map(|r| r.switches).sum();
        let label = format!(
            "on {} ({} viewers, {switches} switches of rung)",
            if rung.is_empty() { "no rung" } else { rung },
            on.len()
        );
        summarise(&label, &on, seconds);
    }
    match (server, cpu_from, cpu_to) {
        (Some(pid), Some(a), Some(b)) => {
            let cpu = b - a;
            println!(
                "server (pid {pid}): {cpu:.2} CPU s in {seconds:.0} s = {:.1} % of one core, {:.3} ms CPU per viewer-second",
                cpu / seconds * 100.0,
                cpu * 1000.0 / seconds / opts.viewers as f64
            );
            if let (Some(before), Some(peak)) = (rss_before, peak) {
                let per_viewer = peak.saturating_sub(before) as f64 / opts.viewers as f64 / 1024.0;
                println!(
                    "server memory: {:.1} MiB before, {:.1} MiB peak, {per_viewer:.1} KiB per viewer",
                    before as f64 / 1048576.0,
                    peak as f64 / 1048576.0
                );
            }
        }
        _ => {
            println!("server: not found on this machine (pass --pid); CPU and memory not measured")
        }
    }
    if let (Some(a), Some(b)) = (own_cpu_from, own_cpu_to) {
        println!(
            "load tool: {:.2} CPU s = {:.1} % of one core",
            b - a,
            (b - a) / seconds * 100.0
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `body` as HTTP/1.1 chunks of at most `size` bytes, ended.
    fn chunked(body: &[u8], size: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for piece in body.chunks(size) {
            out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            out.extend_from_slice(piece);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
        out
    }

    #[test]
    fn a_gzip_stream_is_inflated_as_it_comes_or_only_counted() {
        use std::io::Write as _;
        let events = "event: media\nid: 7\ndata: AAAA\n\nevent: media\nid: 8\ndata: AAAA\n\n";
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(events.as_bytes()).unwrap();
        let wire = chunked(&gzip.finish().unwrap(), 7);
        let now = Instant::now();

        let mut inflated = StreamReader {
            gunzip: Some(flate2::write::GzDecoder::new(Vec::new())),
            ..StreamReader::default()
        };
        let mut report = ViewerReport::default();
        for piece in wire.chunks(5) {
            inflated.feed(piece, &mut report, now).unwrap();
        }
        assert_eq!(report.media, 2);
        assert_eq!(inflated.last_id, Some(8));
        assert_eq!(report.bytes, wire.len() as u64);

        let mut counted = StreamReader {
            gunzip: Some(flate2::write::GzDecoder::new(Vec::new())),
            read_only: true,
            ..StreamReader::default()
        };
        let mut report = ViewerReport::default();
        counted.feed(&wire, &mut report, now).unwrap();
        assert_eq!((report.media, report.bytes), (0, wire.len() as u64));
        assert!(
            counted.dechunk.done(),
            "the end of the stream is still seen"
        );

        let mut broken = StreamReader {
            gunzip: Some(flate2::write::GzDecoder::new(Vec::new())),
            ..StreamReader::default()
        };
        let not_gzip = chunked(events.as_bytes(), 64);
        assert_eq!(
            broken.feed(&not_gzip, &mut ViewerReport::default(), now),
            Err("malformed gzip".to_string())
        );
    }

    #[test]
    fn viewers_pick_the_rungs_in_turn_and_an_init_event_names_its_rung() {
        let mut opts = Options {
            addr: "127.0.0.1:3000".parse().unwrap(),
            host: "127.0.0.1:3000".into(),
            path: "/live/demo/events".into(),
            viewers: 3,
            seconds: 1,
            slow: 0,
            slow_bytes_per_sec: 0,
            ramp: 1,
            pid: None,
            chat: false,
            sources: 0,
            rungs: Vec::new(),
            gzip: false,
        };
        assert_eq!(opts.path_of(1), "/live/demo/events");
        opts.rungs = vec!["source".into(), "240p".into()];
        assert_eq!(opts.path_of(0), "/live/demo/events?rung=source");
        assert_eq!(opts.path_of(3), "/live/demo/events?rung=240p");
        let init = onair::live::wire::InitEvent {
            mime: "video/mp4".into(),
            rung: "240p".into(),
            data: "A".repeat(10_000),
            epoch: 1,
            timescales: Default::default(),
            rungs: vec!["source".into(), "240p".into()],
        };
        let json = serde_json::to_string(&init).unwrap();
        // The parser keeps only an event's first 160 bytes.
        assert_eq!(rung_of(&json.as_bytes()[..154]), "240p");
    }
}
