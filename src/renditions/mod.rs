//! Renditions: the quality ladder a broadcast is made in, and the rung each viewer gets.
//!
//! - [`ladder`]: the rungs a broadcast is encoded in, from the server's `[renditions]` setting
//!   and the source's size: never upscaled, even dimensions, the source itself on top and,
//!   when asked for, audio alone at the bottom.
//! - [`chooser`]: per viewer, at each keyframe, which rung it continues on, from what its own
//!   connection shows (bytes still unsent, blocked writes, how fast it drained, skips): down at
//!   once when behind, up only after sustained headroom, within what the player declared.
//! - [`encode`]: the rungs below the source as more outputs of the broadcast's one ffmpeg,
//!   with every rung's keyframes at the source rung's instants.
//!
//! Both are pure (no I/O, no clocks of their own), so their rules are tested directly.

pub mod chooser;
pub mod encode;
pub mod ladder;
