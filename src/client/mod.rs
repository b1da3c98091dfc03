//! Browser-only glue for the live player: the SSE connection (`live_events`), the MediaSource
//! append queue (`media_pipe`), and the loop that ties them to a `<video>` (`live_player`).

mod live_events;
mod live_player;
mod media_pipe;

pub use live_player::{LivePlayer, Signals};
