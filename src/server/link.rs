//! What the kernel knows of a viewer's link: the delivery rate its TCP measured (bytes the
//! other end acknowledged per unit of time; Linux's `tcpi_delivery_rate`, the figure BBR is
//! built on). A link slower than the stream shows in it within a round trip or two; a faster
//! one in the burst of a keyframe, which fills it for a moment, without sending a byte more
//! than the stream itself. A figure measured while the sender had nothing more to send is
//! only a lower bound, and a rough one (a few packets let through at once by a token bucket
//! measured 266 Mbit/s on a 1.5 Mbit/s link with no round trip to speak of): it is told apart
//! ([`LinkRate::AtLeast`]). What does not mislead is how much of the time the connection had
//! bytes on their way ([`LinkReading::busy_us`]): a stream that leaves its link idle most of
//! the time is on a link several times faster.
//!
//! A reader slower than its link (a busy or background tab, a slow client program) holds the
//! sender back with its receive window instead: the figure then measures the reader, not the
//! link, and is not taken (the chooser goes by how fast it drained).
//!
//! Each accepted connection keeps a duplicate of its socket's descriptor for this ([`Link`]);
//! a connection from a trusted proxy has none (its figures would be the proxy's).

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::renditions::chooser::{LinkRate, LinkReading};

/// How often a stream reads its link's delivery rate (a system call) while it sends.
const READ_EVERY: Duration = Duration::from_millis(100);
/// A reading after the receiver's window held the sender back for more than this share of the
/// time since the last one measures the reader, not the link.
const READER_BOUND: f64 = 0.1;

/// A connection's socket, to ask the kernel about. Cloned into each request's extensions.
#[derive(Clone, Debug)]
pub struct Link(Arc<OwnedFd>);

/// The start of Linux's `struct tcp_info` (linux/tcp.h), up to `tcpi_sndbuf_limited` (Linux
/// 4.10; `tcpi_delivery_rate` since 4.9); the kernel copies as much as it has of what is asked.
/// glibc's own copy stops earlier.
#[repr(C)]
#[derive(Default)]
struct TcpInfo {
    bytes: [u8; 8],
    /// `tcpi_rto` … `tcpi_total_retrans`.
    counts: [u32; 24],
    pacing_rate: u64,
    max_pacing_rate: u64,
    bytes_acked: u64,
    bytes_received: u64,
    /// `tcpi_segs_out` … `tcpi_data_segs_out`.
    segs: [u32; 6],
    delivery_rate: u64,
    busy_time: u64,
    /// Microseconds the sender waited for the receiver's window, since the connection began.
    rwnd_limited: u64,
    sndbuf_limited: u64,
}

/// One reading of the kernel's delivery rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Delivery {
    pub kbps: f64,
    /// The sender had less to send than the link could take when it was measured: the link
    /// carries at least this much (a lower bound, not the link's speed).
    pub app_limited: bool,
    /// Microseconds the sender waited for the receiver's window so far; None before Linux 4.10.
    pub reader_bound_us: Option<u64>,
    /// Microseconds the connection had bytes sent and not acknowledged, or waiting to be sent,
    /// so far (counted in the kernel's clock ticks); None before Linux 4.10.
    pub busy_us: Option<u64>,
}

impl Link {
    /// The link of an accepted connection, or None if its descriptor cannot be duplicated.
    pub fn of(socket: &impl AsFd) -> Option<Self> {
        socket
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .map(|fd| Self(Arc::new(fd)))
    }

    /// The kernel's latest delivery-rate sample; None before there is one, or off Linux's TCP.
    pub fn delivery(&self) -> Option<Delivery> {
        let mut info = TcpInfo::default();
        let mut len = std::mem::size_of::<TcpInfo>() as libc::socklen_t;
        // SAFETY: `info` is a plain repr(C) struct of `len` bytes the kernel writes at most
        // `len` bytes into; the descriptor is open for as long as `self` lives.
        let done = unsafe {
            libc::getsockopt(
                self.0.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_INFO,
                (&mut info as *mut TcpInfo).cast(),
                &mut len,
            )
        };
        let with_rate = std::mem::offset_of!(TcpInfo, busy_time);
        if done != 0 || (len as usize) < with_rate || info.delivery_rate == 0 {
            return None;
        }
        let with_rwnd = std::mem::offset_of!(TcpInfo, sndbuf_limited);
        Some(Delivery {
            kbps: info.delivery_rate as f64 * 8.0 / 1000.0,
            // The first bit of the byte after the window scales.
            app_limited: info.bytes[7] & 1 == 1,
            reader_bound_us: ((len as usize) >= with_rwnd).then_some(info.rwnd_limited),
            busy_us: ((len as usize) >= with_rwnd).then_some(info.busy_time),
        })
    }
}

/// One stream's reading of its link: at most every [`READ_EVERY`], none while the reader held
/// the sender back.
pub struct LinkReader {
    link: Link,
    read_at: Instant,
    /// The receiver's window's hold on the sender at the last reading, microseconds.
    reader_bound_us: u64,
    /// The connection's busy time at the last reading, microseconds.
    busy_us: Option<u64>,
}

impl LinkReader {
    pub fn new(link: Link) -> Self {
        Self {
            link,
            read_at: Instant::now(),
            reader_bound_us: 0,
            busy_us: None,
        }
    }

    /// What the link carries, as the kernel's figure stands now. A lower bound stands until a
    /// full measurement or a higher bound replaces it (Linux keeps a bound only when it is the
    /// higher), so it is read again at every reading while nothing contradicts it: a link with
    /// room to spare shows one bound, read over and over, not a new one each time.
    pub fn read(&mut self) -> Option<LinkReading> {
        let now = Instant::now();
        let since = now.duration_since(self.read_at);
        if since < READ_EVERY {
            return None;
        }
        self.read_at = now;
        let delivery = self.link.delivery()?;
        let bound_us = delivery.reader_bound_us.unwrap_or(0);
        let held_back = bound_us.saturating_sub(self.reader_bound_us);
        self.reader_bound_us = bound_us;
        let last_busy = std::mem::replace(&mut self.busy_us, delivery.busy_us);
        if held_back as f64 > since.as_micros() as f64 * READER_BOUND {
            // The reader was the bottleneck: nothing learnt of the link.
            return None;
        }
        let rate = if delivery.app_limited {
            LinkRate::AtLeast(delivery.kbps)
        } else {
            LinkRate::Full(delivery.kbps)
        };
        Some(LinkReading {
            rate,
            span_us: since.as_micros() as u64,
            // The first reading's busy time goes back to the connection's start.
            busy_us: last_busy
                .zip(delivery.busy_us)
                .map(|(last, now)| now.saturating_sub(last)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::task::JoinHandle;

    /// A connection over loopback to a reader that takes everything until it ends, and the
    /// count of bytes it took.
    async fn loopback() -> (tokio::net::TcpStream, JoinHandle<usize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let reader = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut sink = Vec::new();
            socket.read_to_end(&mut sink).await.unwrap();
            sink.len()
        });
        (tokio::net::TcpStream::connect(addr).await.unwrap(), reader)
    }

    #[test]
    fn the_struct_has_its_fields_where_the_kernel_puts_them() {
        assert_eq!(std::mem::offset_of!(TcpInfo, delivery_rate), 160);
        assert_eq!(std::mem::offset_of!(TcpInfo, rwnd_limited), 176);
        assert_eq!(std::mem::size_of::<TcpInfo>(), 192);
    }

    /// A reader that stops reading holds the sender back with its window: the kernel counts
    /// that time, and the reader's figures are not taken as the link's.
    #[tokio::test]
    async fn a_reader_slower_than_its_link_is_not_taken_for_the_link() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (go_on, go) = tokio::sync::oneshot::channel::<()>();
        let reader = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            // Reads nothing until told, then everything.
            let _ = go.await;
            let mut sink = Vec::new();
            socket.read_to_end(&mut sink).await.unwrap();
            sink.len()
        });
        let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        let link = Link::of(&socket).expect("a duplicate descriptor");
        let mut reader_link = LinkReader::new(link.clone());
        // More than both sockets' buffers hold: the sender waits for the window.
        let block = vec![7u8; 1 << 20];
        let written = tokio::time::timeout(Duration::from_millis(600), async {
            for _ in 0..64 {
                socket.write_all(&block).await.unwrap();
            }
        })
        .await;
        assert!(written.is_err(), "the writes wait for the reader");
        let delivery = link.delivery().expect("a delivery rate");
        let bound = delivery.reader_bound_us.expect("Linux 4.10 or later");
        assert!(bound > 100_000, "held back {bound} µs");
        assert_eq!(
            reader_link.read(),
            None,
            "the reader's pace, not the link's"
        );
        go_on.send(()).unwrap();
        // The link's own descriptor keeps the socket open: it ends when shut.
        socket.shutdown().await.unwrap();
        assert!(reader.await.unwrap() > 0);
    }

    /// A sender with little to send measures only lower bounds; the kernel keeps one until
    /// something replaces it, and each reading reads it again (a fast link at a low rung hears
    /// nothing new, yet its bound still stands).
    #[tokio::test]
    async fn a_lower_bound_the_kernel_keeps_is_read_at_every_reading() {
        let (mut socket, reader) = loopback().await;
        let mut link = LinkReader::new(Link::of(&socket).expect("a duplicate descriptor"));
        // A little at a time, far less than loopback carries.
        for _ in 0..20 {
            socket.write_all(&[7u8; 1000]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut readings = Vec::new();
        for _ in 0..3 {
            tokio::time::sleep(READ_EVERY).await;
            readings.push(link.read());
        }
        let rates: Vec<_> = readings.iter().map(|r| r.map(|r| r.rate)).collect();
        let Some(LinkRate::AtLeast(kbps)) = rates[0] else {
            panic!("a lower bound, not {readings:?}");
        };
        assert!(
            rates.iter().all(|r| *r == Some(LinkRate::AtLeast(kbps))),
            "the same bound at every reading: {readings:?}"
        );
        // Nothing was sent after the first reading: the link was idle since.
        assert!(
            readings[1..]
                .iter()
                .all(|r| r.is_some_and(|r| r.busy_us == Some(0) && r.span_us > 0)),
            "{readings:?}"
        );
        socket.shutdown().await.unwrap();
        assert_eq!(reader.await.unwrap(), 20_000);
    }

    #[tokio::test]
    async fn a_connection_that_moved_data_has_a_delivery_rate() {
        let (mut socket, reader) = loopback().await;
        let link = Link::of(&socket).expect("a duplicate descriptor");
        let block = vec![7u8; 1 << 20];
        for _ in 0..4 {
            socket.write_all(&block).await.unwrap();
        }
        socket.flush().await.unwrap();
        socket.shutdown().await.unwrap();
        assert_eq!(reader.await.unwrap(), 4 << 20);
        let delivery = link.delivery().expect("a delivery rate");
        // Loopback carries far more than any rung.
        assert!(delivery.kbps > 50_000.0, "{delivery:?}");
    }
}
