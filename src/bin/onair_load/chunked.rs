//! Decodes an HTTP/1.1 chunked body incrementally, handing out slices of the input: no copy.

#[derive(Debug)]
enum State {
    /// Reading the hex size line; holds the digits so far.
    Size(usize),
    /// Skipping the rest of the size line (chunk extensions) up to its newline.
    SizeLine(usize),
    /// `n` data bytes left in this chunk.
    Data(usize),
    /// The CRLF after a chunk's data.
    DataEnd,
    /// The zero-size chunk arrived.
    Done,
}

#[derive(Debug)]
pub struct Dechunker {
    state: State,
}

#[derive(Debug, PartialEq)]
pub struct BadChunk;

impl Dechunker {
    pub fn new() -> Self {
        Self {
            state: State::Size(0),
        }
    }

    pub fn done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Feeds raw bytes; `sink` gets every run of body bytes they contain.
    pub fn feed(&mut self, mut input: &[u8], mut sink: impl FnMut(&[u8])) -> Result<(), BadChunk> {
        while !input.is_empty() {
            match self.state {
                State::Size(size) => {
                    let byte = input[0];
                    input = &input[1..];
                    self.state = match byte {
                        b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                            let digit = (byte as char).to_digit(16).unwrap_or(0) as usize;
                            State::Size(size.checked_mul(16).ok_or(BadChunk)? + digit)
                        }
                        b'\n' => Self::after_size(size),
                        b'\r' | b';' | b' ' => State::SizeLine(size),
                        _ => return Err(BadChunk),
                    };
                }
                State::SizeLine(size) => match memchr::memchr(b'\n', input) {
                    Some(at) => {
                        input = &input[at + 1..];
                        self.state = Self::after_size(size);
                    }
                    None => input = &[],
                },
                State::Data(left) => {
                    let take = left.min(input.len());
                    sink(&input[..take]);
                    input = &input[take..];
                    self.state = if take == left {
                        State::DataEnd
                    } else {
                        State::Data(left - take)
                    };
                }
                State::DataEnd => {
                    let byte = input[0];
                    input = &input[1..];
                    if byte == b'\n' {
                        self.state = State::Size(0);
                    } else if byte != b'\r' {
                        return Err(BadChunk);
                    }
                }
                State::Done => return Ok(()),
            }
        }
        Ok(())
    }

    fn after_size(size: usize) -> State {
        if size == 0 {
            State::Done
        } else {
            State::Data(size)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_chunks_split_anywhere() {
        let raw = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n";
        for split in 0..raw.len() {
            let mut d = Dechunker::new();
            let mut out = Vec::new();
            d.feed(&raw[..split], |b| out.extend_from_slice(b)).unwrap();
            d.feed(&raw[split..], |b| out.extend_from_slice(b)).unwrap();
            assert_eq!(out, b"hello, world");
            assert!(d.done());
        }
        assert_eq!(Dechunker::new().feed(b"zz\r\n", |_| {}), Err(BadChunk));
    }
}
