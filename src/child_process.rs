//! Child processes (ffmpeg) that never outlive the server: killed when their handle is
//! dropped, and killed by the kernel when the server dies, even by SIGKILL, which runs none of
//! our code (`PR_SET_PDEATHSIG`). The signal follows the thread that started the child; tokio's
//! worker threads live as long as the runtime, and children are started from them.

use std::ffi::OsStr;

use tokio::process::Command;

/// A command for `program` whose process dies with the server.
pub fn command(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    command.kill_on_drop(true);
    // SAFETY: the closure runs in the child between fork and exec and only calls
    // async-signal-safe functions (prctl, getppid).
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            // The server may have died before the line above: then go now.
            if libc::getppid() == 1 {
                return Err(std::io::Error::other("the server is gone"));
            }
            Ok(())
        });
    }
    command
}
