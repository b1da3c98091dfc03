//! What one connection sends next, as its wire carries it: the event stream as it is, or
//! gzip of it for a client that accepts that (see [`super::deflate`]). The hub queues frames
//! here; the connection takes the bytes out in order.

use std::collections::VecDeque;

use bytes::Bytes;

use super::deflate::{Deflated, GzipStream};

#[derive(Debug)]
pub struct Outbox {
    queue: VecDeque<Bytes>,
    gzip: Option<GzipStream>,
}

impl Outbox {
    /// The event stream as it is.
    pub fn plain() -> Self {
        Self {
            queue: VecDeque::new(),
            gzip: None,
        }
    }

    /// The event stream in gzip; its header is the first thing queued.
    pub fn gzip() -> Self {
        let (stream, header) = GzipStream::start();
        Self {
            queue: VecDeque::from([header]),
            gzip: Some(stream),
        }
    }

    pub fn is_gzip(&self) -> bool {
        self.gzip.is_some()
    }

    /// Queues a frame; returns the bytes that carry it.
    pub fn push(&mut self, frame: Bytes) -> usize {
        let wire = match &mut self.gzip {
            Some(stream) => stream.carry_own(&frame),
            None => frame,
        };
        self.queue_wire(wire)
    }

    /// Queues a shared frame, `plain` or its piece deflated once; returns the bytes that carry
    /// it.
    pub fn push_shared(&mut self, plain: &Bytes, deflated: &Deflated) -> usize {
        let wire = match &mut self.gzip {
            Some(stream) => stream.carry(deflated),
            None => plain.clone(),
        };
        self.queue_wire(wire)
    }

    fn queue_wire(&mut self, wire: Bytes) -> usize {
        let len = wire.len();
        self.queue.push_back(wire);
        len
    }

    /// The next bytes to send.
    pub fn pop(&mut self) -> Option<Bytes> {
        self.queue.pop_front()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// How many pieces are queued (each frame is one).
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// The bytes queued from the `from`th piece on.
    pub fn bytes_from(&self, from: usize) -> usize {
        self.queue.range(from..).map(Bytes::len).sum()
    }

    /// The stream's last bytes once nothing more is sent: gzip's end and check (none for the
    /// stream as it is).
    pub fn finish(&mut self) -> Option<Bytes> {
        self.gzip.take().map(GzipStream::finish)
    }

    /// The pieces queued, as they will be sent (tests read the plain stream's frames).
    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = &Bytes> {
        self.queue.iter()
    }
}
