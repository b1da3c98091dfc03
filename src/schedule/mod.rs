//! Schedule: the broadcasts a channel's owner announces (a title and a start time). The
//! channel page shows the next one with a countdown, the home page an "Upcoming" row, and each
//! channel has an iCalendar feed (`/watch/{channel}/schedule.ics`) calendar apps subscribe to.

pub mod api;
#[cfg(feature = "ssr")]
pub mod calendar;
pub mod rules;
#[cfg(feature = "ssr")]
mod state;
#[cfg(feature = "ssr")]
mod store;

#[cfg(feature = "ssr")]
pub use state::Schedule;
