//! onair-publish: publishes an FLV file over RTMP in real time to one or more channels, as OBS
//! would (one connection per stream key, `rml_rtmp`'s client), and measures
//!
//! - the delay the server adds: each video message's send time to the arrival, over the
//!   channel's SSE stream on loopback, of the fragment holding its frame (`--watch`);
//! - what the publishers cost the server: CPU and memory of the server process (found by its
//!   RTMP port) and its children (the remuxing ffmpegs) while they run.
//!
//! Usage (the first key's channel is watched):
//!
//! ```text
//! onair-publish --rtmp 127.0.0.1:1935 --keys KEY1,KEY2 --file stream.flv --seconds 30
//!     --watch http://127.0.0.1:3000/live/CHANNEL/events
//! ```
//!
//! The file loops; timestamps keep counting.

#[path = "../onair_load/chunked.rs"]
mod chunked;
mod flv_file;
#[path = "../onair_load/procstat.rs"]
mod procstat;
mod publisher;
mod watch;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Publishing settles (ffmpeg starts, the first fragments go out) before measuring starts.
const SETTLE: Duration = Duration::from_secs(4);

/// When each video message (by its RTMP timestamp, ms) of the watched stream was sent, and
/// whether it was a keyframe.
pub type SendTimes = Arc<Mutex<HashMap<u32, (Instant, bool)>>>;

struct Options {
    rtmp: SocketAddr,
    keys: Vec<String>,
    file: String,
    seconds: u64,
    watch: Option<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        rtmp: "127.0.0.1:1935".parse().unwrap(),
        keys: Vec::new(),
        file: String::new(),
        seconds: 30,
        watch: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--rtmp" => options.rtmp = value.parse().map_err(|e| format!("--rtmp: {e}"))?,
            "--keys" => options.keys = value.split(',').map(str::to_string).collect(),
            "--file" => options.file = value,
            "--seconds" => {
                options.seconds = value.parse().map_err(|e| format!("--seconds: {e}"))?;
                options.seconds = options.seconds.clamp(5, 600);
            }
            "--watch" => options.watch = Some(value),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if options.keys.is_empty() || options.file.is_empty() {
        return Err("--keys and --file are required (see the top of main.rs)".into());
    }
    Ok(options)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let options = match parse_args() {
        Ok(options) => options,
        Err(err) => {
            eprintln!("{err}");
            std::process::exit(2);
        }
    };
    let tags = match flv_file::read(&options.file) {
        Ok(tags) => Arc::new(tags),
        Err(err) => {
            eprintln!("{}: {err}", options.file);
            std::process::exit(2);
        }
    };
    let run_for = Duration::from_secs(options.seconds);
    let send_times = SendTimes::default();
    let mut publishers = Vec::new();
    for (i, key) in options.keys.iter().enumerate() {
        let times = (i == 0).then(|| send_times.clone());
        publishers.push(tokio::spawn(publisher::publish(
            options.rtmp,
            key.clone(),
            tags.clone(),
            run_for,
            times,
        )));
    }
    let watcher = options
        .watch
        .clone()
        .map(|url| tokio::spawn(watch::watch(url, send_times.clone(), SETTLE, run_for)));

    tokio::time::sleep(SETTLE).await;
    let pid = procstat::listener_pid(options.rtmp);
    let cost_start = pid.map(server_cpu);
    let measured_from = Instant::now();
    let mut failed = 0;
    for publisher in publishers {
        match publisher.await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                failed += 1;
                eprintln!("publisher: {err}");
            }
            Err(err) => eprintln!("publisher task: {err}"),
        }
    }
    let window = measured_from.elapsed().as_secs_f64();
    println!(
        "{} publishers for {} s ({} failed), {} tags each loop",
        options.keys.len(),
        options.seconds,
        failed,
        tags.len()
    );
    if let (Some(pid), Some((cpu0, _))) = (pid, cost_start) {
        let (cpu1, rss) = server_cpu(pid);
        let cores = (cpu1 - cpu0) / window;
        println!(
            "server + its ffmpegs over the last {window:.1} s: {:.1} % of a core in all, {:.2} % per publisher; \
             RSS {:.1} MiB in all",
            cores * 100.0,
            cores * 100.0 / options.keys.len() as f64,
            rss as f64 / (1 << 20) as f64
        );
    }
    if let Some(watcher) = watcher {
        match watcher.await {
            Ok(Ok(report)) => println!("{report}"),
            Ok(Err(err)) => eprintln!("watch: {err}"),
            Err(err) => eprintln!("watch task: {err}"),
        }
    }
}

/// CPU seconds and resident bytes of `pid` and its live children.
fn server_cpu(pid: u32) -> (f64, u64) {
    let mut cpu = procstat::cpu_seconds(pid).unwrap_or(0.0);
    let mut rss = procstat::rss_bytes(pid).unwrap_or(0);
    for child in children(pid) {
        cpu += procstat::cpu_seconds(child).unwrap_or(0.0);
        rss += procstat::rss_bytes(child).unwrap_or(0);
    }
    (cpu, rss)
}

fn children(pid: u32) -> Vec<u32> {
    let parent = pid.to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let child: u32 = entry.file_name().to_string_lossy().parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?;
            (ppid == parent).then_some(child)
        })
        .collect()
}
