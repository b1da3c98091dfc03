//! Broadcasts: the server functions a studio calls and the types they share (`api`); on the
//! server, the sources ffmpeg can read (`source`) and the media folder they come from
//! (`media`), the supervision of each broadcast's ffmpeg (`supervisor`) with its progress
//! figures (`progress`), the running broadcasts by channel (`registry`) and their records in
//! the database (`records`).

pub mod api;

#[cfg(feature = "ssr")]
pub mod media;
#[cfg(feature = "ssr")]
pub mod progress;
#[cfg(feature = "ssr")]
pub mod records;
#[cfg(feature = "ssr")]
pub mod registry;
#[cfg(feature = "ssr")]
pub mod source;
#[cfg(feature = "ssr")]
pub mod supervisor;
