//! Broadcasts: the sources ffmpeg can read (`source`) and the supervision of each broadcast's
//! ffmpeg, whose output feeds a channel's hub (`supervisor`).

#[cfg(feature = "ssr")]
pub mod source;
#[cfg(feature = "ssr")]
pub mod supervisor;
