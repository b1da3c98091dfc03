//! Process settings a public server needs: every viewer is an open socket, and a burst of
//! sign-ins must not leave gigabytes behind.

/// Raises the soft open-file limit to the hard limit; returns the limit now in force.
pub fn raise_open_file_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: both calls get a valid pointer to an rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    limit.rlim_cur
}

/// Allocations this large always get their own mapping, returned to the system when freed.
const MMAP_THRESHOLD: libc::c_int = 4 << 20;

/// Makes glibc give large blocks back when they are freed. By default it raises its mmap
/// threshold after the first large free, so every later password hash (19 MiB) comes from the
/// heap and stays there, fragmented: 300 sign-ups at once left 650 MiB resident even with
/// hashing limited to one per core; with the threshold fixed, 63 MiB (docs/changelog.md,
/// fourth day).
pub fn return_large_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes an allocator parameter.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
