//! Child processes (ffmpeg) that never outlive the server and can never take it down: killed
//! when their handle is dropped, and killed by the kernel when the server dies, even by
//! SIGKILL, which runs none of our code (`PR_SET_PDEATHSIG`). The signal follows the thread
//! that started the child; tokio's worker threads live as long as the runtime, and children
//! are started from them.
//!
//! Each child runs under [`ChildLimits`]: an address-space limit (an allocation past it fails
//! in the child, which exits; a publisher's absurd picture cannot make ffmpeg take the
//! machine's memory), a processor-time limit for a child with a bounded task (a thumbnail), a
//! lower scheduling priority than the server's (when the cores are busy the kernel runs the
//! server first: viewers, chat and ingest before any encoder), and the out-of-memory killer's
//! first choice, so under memory pressure the kernel kills a child, never the server.

use std::ffi::OsStr;

use tokio::process::Command;

/// How much lower a child's priority is than the server's (nice levels).
pub const LOWER_PRIORITY: i32 = 10;

/// What a child may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChildLimits {
    /// Its address space, bytes (RLIMIT_AS).
    pub memory_bytes: u64,
    /// Its processor time in all, seconds (RLIMIT_CPU; the kernel kills it past that), for a
    /// child with a bounded task; None for a broadcast's encoder, which runs as long as the
    /// broadcast and is bounded by its lower priority instead.
    pub cpu_secs: Option<u64>,
}

impl Default for ChildLimits {
    /// 3 GiB: a 1080p encode reserves ~0.6 GiB of address space, a 5K decode scaled down
    /// ~0.7 GiB (docs/reliability.md).
    fn default() -> Self {
        Self {
            memory_bytes: 3 << 30,
            cpu_secs: None,
        }
    }
}

impl ChildLimits {
    /// These limits, with at most `secs` of processor time.
    pub fn with_cpu_secs(self, secs: u64) -> Self {
        Self {
            cpu_secs: Some(secs),
            ..self
        }
    }
}

/// A command for `program` whose process dies with the server and runs within `limits`.
pub fn command(program: impl AsRef<OsStr>, limits: ChildLimits) -> Command {
    let mut command = Command::new(program);
    command.kill_on_drop(true);
    let memory = limits.memory_bytes as libc::rlim_t;
    let cpu = limits.cpu_secs.map(|secs| secs as libc::rlim_t);
    // SAFETY: the closure runs in the child between fork and exec and only makes system calls
    // that are async-signal-safe (prctl, getppid, setrlimit, getpriority, setpriority, open,
    // write, close) on memory it owns.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            // The server may have died before the line above: then go now.
            if libc::getppid() == 1 {
                return Err(std::io::Error::other("the server is gone"));
            }
            let address_space = libc::rlimit {
                rlim_cur: memory,
                rlim_max: memory,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &address_space) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            if let Some(cpu) = cpu {
                let processor = libc::rlimit {
                    rlim_cur: cpu,
                    rlim_max: cpu,
                };
                if libc::setrlimit(libc::RLIMIT_CPU, &processor) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            // getpriority can return -1 as a value; errno is not worth checking for it here.
            let nice = libc::getpriority(libc::PRIO_PROCESS, 0);
            libc::setpriority(libc::PRIO_PROCESS, 0, nice + LOWER_PRIORITY);
            let path = c"/proc/self/oom_score_adj";
            let fd = libc::open(path.as_ptr(), libc::O_WRONLY);
            if fd >= 0 {
                libc::write(fd, b"1000".as_ptr().cast(), 4);
                libc::close(fd);
            }
            Ok(())
        });
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 25, item 5: a child sees its limits in its own /proc entry.
    #[tokio::test]
    async fn a_child_runs_with_a_memory_limit_a_lower_priority_and_first_in_line_for_oom() {
        let limits = ChildLimits {
            memory_bytes: 512 << 20,
            cpu_secs: Some(7),
        };
        let out = command("cat", limits)
            .args([
                "/proc/self/limits",
                "/proc/self/oom_score_adj",
                "/proc/self/stat",
            ])
            .output()
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let address_space = text
            .lines()
            .find(|l| l.starts_with("Max address space"))
            .unwrap();
        assert!(
            address_space.contains(&(512u64 << 20).to_string()),
            "{address_space}"
        );
        let cpu_time = text
            .lines()
            .find(|l| l.starts_with("Max cpu time"))
            .unwrap();
        assert!(cpu_time.contains(" 7 "), "{cpu_time}");
        assert!(text.lines().any(|l| l == "1000"), "oom_score_adj: {text}");
        // /proc/self/stat: field 19 is the nice value (after the command name in parentheses).
        let stat = text.lines().last().unwrap();
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .collect();
        let child_nice: i32 = fields[16].parse().unwrap();
        let own_nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        assert_eq!(child_nice, (own_nice + LOWER_PRIORITY).min(19));
    }

    /// A child that asks for more than its limit fails itself; the server is untouched.
    #[tokio::test]
    async fn an_allocation_past_the_limit_fails_in_the_child() {
        let limits = ChildLimits {
            memory_bytes: 512 << 20,
            cpu_secs: None,
        };
        let picture = |size: &str| {
            let source = format!("color=size={size}:duration=0.04");
            command("ffmpeg", limits)
                .args(["-hide_banner", "-loglevel", "quiet", "-f", "lavfi", "-i"])
                .arg(source)
                .args(["-f", "null", "-"])
                .status()
        };
        // Within the limit ffmpeg runs; one 16383x16383 frame (about 400 MB, and its copies)
        // cannot be had, and that ffmpeg fails.
        assert!(picture("320x180").await.unwrap().success());
        assert!(!picture("16383x16383").await.unwrap().success());
    }
}
