//! Browser-only glue for the live player: the SSE connection (`live_events`), the MediaSource
//! append queue (`media_pipe`), and the loop that ties them to a `<video>` (`live_player`);
//! for a replay, the loop that plays a recording segment by segment (`replay_player`), taking
//! over what the page's head start began (`early_replay`); and for
//! the studio, the camera or screen recorded and sent to the server (`recorder`); for the chat
//! overlay, the chat alone (`chat_feed`).

mod chat_feed;
mod early_replay;
mod live_events;
mod live_player;
mod media_engine;
mod media_pipe;
pub mod recorder;
mod replay_player;

pub use chat_feed::ChatFeed;
pub use early_replay::early_replay_shown;
pub use live_events::early_media_settled;
pub use live_player::{LivePlayer, Signals};
pub use replay_player::{ReplayPlayer, ReplaySignals, typed_in_field};
