//! Which rung a viewer continues on, chosen by the server at each keyframe from what that
//! viewer's own connection shows. Rungs are numbered from the top (0 is the source).
//!
//! - **Down at once** when the viewer is behind: it was skipped forward, or its connection
//!   holds more unsent bytes than a fragment's worth and its last writes blocked. It goes to the
//!   highest rung its link carries with a margin (the kernel's delivery rate where it was
//!   measured, else the rate it drained; several rungs at once if need be), and at least one
//!   down; below the lowest video rung is sound alone, reached only from the lowest video rung
//!   (the first figures of a link that just got slow can be far below what it carries, and
//!   sound alone costs the viewer its picture and a new decoder). For a few intervals after a
//!   step down, a viewer still behind whose link carries its new rung stays on it, and so does
//!   one catching up on it for as long as it does (a fragment's worth less unsent at each
//!   keyframe, not by a skip): what it is behind with is the backlog of the rung above, still
//!   draining (going on down would leave a link that just slowed on sound alone for nothing).
//! - **Up** only after a run of clean intervals (nothing blocked, little unsent): to the
//!   highest rung the link carries with the margin where the kernel measured the link's
//!   delivery rate (so a rung the link cannot carry is never tried, and a link that got fast
//!   is followed in one step), else one rung, to find out. The kernel measures a link only
//!   while it is full, so a viewer on a rung its link carries with room to spare hears nothing
//!   new for a while: what was measured last holds (a lower measurement replaces it at once),
//!   until figures above it stand for [`AT_LEAST_AGREE`] intervals in a row with no lower
//!   measurement between: a full measurement above it (a token bucket that filled while the
//!   link was idle lets the next keyframe's first packets through at once), or a lower bound
//!   taken only as far as the share of time the link was idle bears it out (a few packets
//!   let through at once can make a bound far above the link, which the kernel keeps until
//!   something replaces it); or for [`MEASURED_HOLDS`] intervals with no new figure at all
//!   (six times that above the lowest picture, where a try costs more and staying costs
//!   less); then one rung up is tried. Each failed step up doubles both. A step up that fails
//!   soon after (the viewer is behind again within a few intervals) doubles the run the next
//!   step up needs, so a link that carries one rung but not the next settles instead of
//!   oscillating; a step up that holds halves it again.
//! - **Within the player's say**: the highest rung it may have (its screen, data saver), or a
//!   rung the viewer picked by hand, which holds whatever the connection shows.
//!
//! O(1) per viewer per keyframe; no buffers, only a few counters.

/// Clean intervals before the first step up.
pub const UP_AFTER: u32 = 3;
/// The most clean intervals a step up ever waits for.
const UP_AFTER_MAX: u32 = 48;
/// A step up followed by a step down within this many intervals failed. Long: a link too slow
/// for the new rung shows only once the buffers between server and player are full, seconds
/// later.
const FAILED_WITHIN: u32 = 10;
/// Intervals after a step down in which the rung above's backlog is still draining.
const DRAIN_GRACE: u32 = 3;
/// A rung is chosen only if the drain rate carries its bitrate with this margin.
const MARGIN: f64 = 1.15;
/// Intervals in a row a lower bound above the last measurement stands for (no full measurement
/// between) before it is taken, before failed steps up lengthen it. On a slow link with no
/// round trip to speak of, a bound far above the link (a few packets let through at once)
/// stands for many intervals; the link's idle time is what holds it down (docs/benchmarks.md).
const AT_LEAST_AGREE: u32 = 3;
/// Intervals with no new figure of the link a measurement holds for on the lowest picture,
/// before failed steps up lengthen it (as they lengthen the wait for the next).
const MEASURED_HOLDS: u32 = 10;
/// How much longer it holds on a rung above the lowest picture.
const MEASURED_HOLDS_ABOVE: u32 = 6;
/// The least share of time busy taken from a link (it drained at most this many times faster
/// than the stream, for all the reading shows).
const MIN_BUSY: f64 = 0.01;

/// The kernel's figure of what a viewer's link carries, kbit/s (its TCP's delivery rate).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LinkRate {
    /// Measured while the link was full: what it carries.
    Full(f64),
    /// Measured while the sender had less to send than the link took: at least this much,
    /// roughly (a few packets let through at once can measure far more than the link).
    AtLeast(f64),
}

/// One reading of a viewer's link from its TCP connection's kernel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkReading {
    /// The delivery-rate figure as it stands.
    pub rate: LinkRate,
    /// Microseconds since the last reading, and how many of them the connection had bytes
    /// sent and not yet acknowledged, or waiting to be sent (None where the kernel does not
    /// tell). A link the stream leaves idle most of the time carries several times the stream;
    /// one busy all the time carries no more than it.
    pub span_us: u64,
    pub busy_us: Option<u64>,
}

/// What the server saw of one viewer's connection since its last keyframe.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Seen {
    /// Bytes written for the viewer that it has not taken yet (ours and the kernel's queue).
    pub unsent_bytes: u64,
    /// Whether a write to it had to wait for room.
    pub blocked: bool,
    /// Bytes it took, and over how long (ms).
    pub drained_bytes: u64,
    pub interval_ms: u64,
    /// Whether it was skipped forward to the newest keyframe (it fell too far behind).
    pub skipped: bool,
    /// The highest delivery rate its TCP connection's kernel measured while the link was
    /// full, kbit/s: what the link carries. None where it cannot be read (a proxy in between,
    /// another OS) or was not measured full.
    pub link_kbps: Option<f64>,
    /// The highest lower bound of the kernel's that stood in the interval, measured otherwise
    /// (see [`LinkRate::AtLeast`]): the same one, interval after interval, until something
    /// replaces it.
    pub link_at_least: Option<f64>,
    /// The share of the interval the connection had bytes on their way (see
    /// [`LinkReading::busy_us`]); None where it cannot be read.
    pub link_busy: Option<f64>,
}

impl Seen {
    /// How fast it drained, kbit/s; None when the interval says nothing.
    fn drain_kbps(&self) -> Option<f64> {
        (self.interval_ms > 0).then(|| self.drained_bytes as f64 * 8.0 / self.interval_ms as f64)
    }

    /// What the link carried at least, kbit/s, by how fast it drained and how little of the
    /// time it was busy with it (one busy a quarter of the time carries four times as much).
    /// Delayed acknowledgements and the kernel's clock ticks make it busier than it was, so
    /// this errs low; a few packets let through at once, which fool the kernel's lower bounds,
    /// do not move it.
    fn idle_kbps(&self) -> Option<f64> {
        let busy = self.link_busy?.max(MIN_BUSY);
        Some(self.drain_kbps()? / busy.min(1.0))
    }
}

/// What the player allows: the highest rung it may get, and a rung picked by hand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Say {
    /// The highest (smallest-numbered) rung the player may have: its screen or data saver.
    pub highest: usize,
    /// The rung the viewer picked in the quality menu; None is Auto.
    pub picked: Option<usize>,
}

/// One viewer's choice over time. Each call is given the rungs' bitrates in kbit/s (as sent,
/// from the top; the last may be sound alone), measured by the hub, so a viewer holds no copy.
#[derive(Clone, Debug)]
pub struct Chooser {
    rung: usize,
    clean: u32,
    /// Clean intervals the next step up waits for.
    up_after: u32,
    /// Intervals since the last step up, while it may still fail.
    since_up: Option<u32>,
    /// Intervals since the last step down, while its backlog may still be draining.
    since_down: Option<u32>,
    /// Bytes unsent at the last keyframe since then, while the viewer was behind.
    backlog: Option<u64>,
    /// What the link carries as last measured, kbit/s, and intervals since a figure came.
    measured: Option<(f64, u32)>,
    /// Lower bounds above that in the last intervals in a row: how many, and the lowest.
    above: Option<(u32, f64)>,
    /// The lower bound that stood in the last interval, to tell a new one from it.
    bound: Option<f64>,
}

impl Chooser {
    /// A viewer starting on rung `start`.
    pub fn new(start: usize) -> Self {
        Self {
            rung: start,
            clean: 0,
            up_after: UP_AFTER,
            since_up: None,
            since_down: None,
            backlog: None,
            measured: None,
            above: None,
            bound: None,
        }
    }

    /// The rung it is on.
    pub fn rung(&self) -> usize {
        self.rung
    }

    /// The viewer is on `rung` after all (a switch could not be made where it was asked for).
    pub fn stay_on(&mut self, rung: usize) {
        self.settle(rung);
    }

    /// At a keyframe: the rung the viewer continues on, after `seen` since the last one, of
    /// rungs sent at `rates` kbit/s, the last of them sound alone when `ends_in_sound`.
    pub fn at_keyframe(
        &mut self,
        seen: &Seen,
        say: Say,
        rates: &[f64],
        ends_in_sound: bool,
    ) -> usize {
        let lowest = rates.len().saturating_sub(1);
        let lowest_picture = if ends_in_sound {
            lowest.saturating_sub(1)
        } else {
            lowest
        };
        self.rung = self.rung.min(lowest);
        if let Some(picked) = say.picked {
            self.settle(picked.min(lowest));
            return self.rung;
        }
        let highest = say.highest.min(lowest);
        self.learn(seen, self.rung >= lowest_picture);
        let fragment_bytes = fragment_bytes(rates, self.rung);
        let behind = seen.skipped || (seen.blocked && seen.unsent_bytes > fragment_bytes);
        let draining = self.since_down.take();
        if behind {
            let carried = seen
                .link_kbps
                .or(seen.drain_kbps())
                .map_or(lowest, |kbps| carried_by(rates, kbps));
            if let Some(n) = draining {
                // Just stepped down to a rung the link carries, or catching up on it (its
                // backlog shrank by a fragment or more since the last keyframe, with no skip):
                // the backlog of the rung above is draining.
                let catching_up = !seen.skipped
                    && self
                        .backlog
                        .is_some_and(|last| seen.unsent_bytes + fragment_bytes <= last);
                if catching_up || (n < DRAIN_GRACE && carried <= self.rung) {
                    self.since_down = Some(n.saturating_add(1));
                    self.backlog = Some(seen.unsent_bytes);
                    self.clean = 0;
                    return self.rung;
                }
            }
            let floor = if self.rung < lowest_picture {
                lowest_picture
            } else {
                lowest
            };
            let down = carried.max(self.rung + 1).min(floor).max(highest);
            if self.since_up.is_some_and(|n| n < FAILED_WITHIN) {
                self.up_after = (self.up_after * 2).min(UP_AFTER_MAX);
            }
            if down > self.rung {
                self.since_down = Some(0);
                self.backlog = None;
            }
            self.rung = down;
            self.clean = 0;
            self.since_up = None;
        } else {
            let clean = !seen.blocked && seen.unsent_bytes <= fragment_bytes;
            // A clean interval: the backlog drained, so being behind later is news.
            self.since_down = draining.filter(|_| !clean).map(|n| n.saturating_add(1));
            self.backlog = self.backlog.filter(|_| !clean).map(|_| seen.unsent_bytes);
            self.clean = if clean { self.clean + 1 } else { 0 };
            let held = self.since_up.is_some_and(|n| n + 1 >= FAILED_WITHIN);
            self.since_up = self.since_up.map(|n| n + 1).filter(|n| *n < FAILED_WITHIN);
            if held {
                // The last step up held: the next one waits less.
                self.up_after = (self.up_after / 2).max(UP_AFTER);
            }
            if self.rung < highest {
                // The player's say lowered: it applies at once.
                self.settle(highest);
            } else if self.rung > highest && self.clean >= self.up_after {
                // Where the kernel measured the link, straight to the highest rung it carries
                // (none above it is tried); elsewhere one rung, to find out.
                let up = self
                    .measured
                    .map_or(self.rung - 1, |(kbps, _)| carried_by(rates, kbps))
                    .max(highest);
                if up < self.rung {
                    self.rung = up;
                    self.clean = 0;
                    self.since_up = Some(0);
                }
            }
        }
        self.rung
    }

    /// What the link carries, from the kernel's figures of the last interval; the viewer is
    /// on `lowest_picture` or below when `lowest`.
    fn learn(&mut self, seen: &Seen, lowest: bool) {
        let bound = seen.link_at_least;
        let new_bound = bound.is_some() && bound != self.bound;
        self.bound = bound;
        // A full measurement at or below the last one (or the first) is taken at once: a link
        // that slowed is believed as soon as it shows. One above it is a figure above, as a
        // bound is: a token bucket that filled while the stream left the link idle lets a
        // keyframe's first packets through at once, and the kernel measured 5.5 Mbit/s of a
        // 1.5 Mbit/s link so, with the sender's queue full.
        let full = seen.link_kbps;
        if let Some(kbps) = full
            && self.measured.is_none_or(|(m, _)| kbps <= m)
        {
            self.measured = Some((kbps, 0));
            self.above = None;
            return;
        }
        let longer = if lowest { 1 } else { MEASURED_HOLDS_ABOVE };
        let failed = self.up_after / UP_AFTER;
        let holds = MEASURED_HOLDS * longer * failed;
        // Any new figure at all, even a lower bound below it, renews the measurement; a bound
        // that still stands is not new.
        let renewed = new_bound || full.is_some();
        self.measured = self
            .measured
            .map(|(kbps, age)| (kbps, if renewed { 0 } else { age + 1 }))
            .filter(|(_, age)| *age < holds);
        // A bound goes only as far as the share of time the link was idle bears it out.
        let bound = bound.map(|kbps| seen.idle_kbps().map_or(kbps, |idle| kbps.min(idle)));
        let above = full
            .into_iter()
            .chain(bound)
            .reduce(f64::max)
            .filter(|kbps| self.measured.is_none_or(|(m, _)| *kbps > m));
        self.above = above.map(|kbps| match self.above {
            Some((n, lowest)) => (n + 1, lowest.min(kbps)),
            None => (1, kbps),
        });
        if let Some((n, lowest)) = self.above
            && n >= AT_LEAST_AGREE * failed
        {
            self.measured = Some((lowest, 0));
            self.above = None;
        }
    }

    /// Moves to `rung` by the player's say, starting the counts afresh.
    fn settle(&mut self, rung: usize) {
        if rung != self.rung {
            self.rung = rung;
            self.clean = 0;
            self.since_up = None;
            self.since_down = None;
            self.backlog = None;
        }
    }
}

/// The highest of `rates` that `kbps` carries with the margin; the lowest if none does.
pub fn carried_by(rates: &[f64], kbps: f64) -> usize {
    rates
        .iter()
        .position(|rate| rate * MARGIN <= kbps)
        .unwrap_or(rates.len().saturating_sub(1))
}

/// About one 200 ms fragment of `rung`, bytes: more unsent than this is a backlog.
fn fragment_bytes(rates: &[f64], rung: usize) -> u64 {
    (rates.get(rung).copied().unwrap_or(0.0) * 1000.0 / 8.0 * 0.2) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// source 4000, 720p 2600, 480p 1100, 240p 400, audio 100 (kbit/s).
    const RATES: [f64; 5] = [4000.0, 2600.0, 1100.0, 400.0, 100.0];
    const AUTO: Say = Say {
        highest: 0,
        picked: None,
    };

    fn clean() -> Seen {
        Seen {
            unsent_bytes: 0,
            blocked: false,
            drained_bytes: 100_000,
            interval_ms: 2000,
            skipped: false,
            link_kbps: None,
            link_at_least: None,
            link_busy: None,
        }
    }

    /// Behind, draining at `kbps` over a 2 s interval.
    fn behind(kbps: u64) -> Seen {
        Seen {
            unsent_bytes: 1_000_000,
            blocked: true,
            drained_bytes: kbps * 2000 / 8,
            interval_ms: 2000,
            skipped: false,
            link_kbps: None,
            link_at_least: None,
            link_busy: None,
        }
    }

    #[test]
    fn a_viewer_behind_goes_down_at_once_to_what_its_link_carries() {
        let mut chooser = Chooser::new(0);
        assert_eq!(
            chooser.at_keyframe(&behind(1500), AUTO, &RATES, true),
            2,
            "1500 kbit/s carries 480p"
        );
        let mut chooser = Chooser::new(0);
        assert_eq!(
            chooser.at_keyframe(&behind(3500), AUTO, &RATES, true),
            1,
            "at least one down"
        );
        let mut chooser = Chooser::new(1);
        assert_eq!(
            chooser.at_keyframe(&behind(90), AUTO, &RATES, true),
            3,
            "from a picture, the lowest picture first"
        );
        assert_eq!(
            chooser.at_keyframe(&behind(90), AUTO, &RATES, true),
            4,
            "below every video rung: sound"
        );
        let mut no_sound = Chooser::new(3);
        assert_eq!(
            no_sound.at_keyframe(&behind(90), AUTO, &RATES[..4], false),
            3,
            "no rung of sound alone: the lowest picture is the floor"
        );
        let mut skipped = Chooser::new(0);
        let seen = Seen {
            skipped: true,
            drained_bytes: 3500 * 2000 / 8,
            ..clean()
        };
        assert_eq!(
            skipped.at_keyframe(&seen, AUTO, &RATES, true),
            1,
            "a skip is being behind"
        );
    }

    #[test]
    fn after_a_step_down_the_backlog_drains_before_another() {
        // The link slowed to 1500 kbit/s under the source: down to 480p (1100), which it
        // carries. The next keyframes still find it behind (the source's backlog, even a skip):
        // it stays on 480p, where it can catch up, rather than falling through to sound alone.
        let mut chooser = Chooser::new(0);
        assert_eq!(chooser.at_keyframe(&behind(1500), AUTO, &RATES, true), 2);
        let skipped = Seen {
            skipped: true,
            ..behind(1500)
        };
        assert_eq!(chooser.at_keyframe(&skipped, AUTO, &RATES, true), 2);
        for _ in 1..DRAIN_GRACE {
            assert_eq!(chooser.at_keyframe(&behind(1500), AUTO, &RATES, true), 2);
        }
        // Still behind once the grace is over: 480p is too much after all, one more down.
        assert_eq!(chooser.at_keyframe(&behind(1500), AUTO, &RATES, true), 3);
        // A link that does not carry the new rung goes on down at once.
        let mut chooser = Chooser::new(0);
        assert_eq!(chooser.at_keyframe(&behind(1500), AUTO, &RATES, true), 2);
        assert_eq!(chooser.at_keyframe(&behind(600), AUTO, &RATES, true), 3);
        // A clean interval ends the grace: being behind later is news.
        let mut chooser = Chooser::new(0);
        chooser.at_keyframe(&behind(1500), AUTO, &RATES, true);
        assert_eq!(chooser.at_keyframe(&clean(), AUTO, &RATES, true), 2);
        assert_eq!(chooser.at_keyframe(&behind(1500), AUTO, &RATES, true), 3);
    }

    #[test]
    fn a_viewer_catching_up_on_its_new_rung_stays_on_it_past_the_grace() {
        // Down to 480p; the source's backlog keeps it behind past the grace, but each keyframe
        // finds less of 480p unsent: the link carries it and it is catching up.
        let mut chooser = Chooser::new(0);
        assert_eq!(chooser.at_keyframe(&behind(1500), AUTO, &RATES, true), 2);
        let step = fragment_bytes(&RATES, 2);
        let mut unsent = 1_000_000;
        for _ in 0..DRAIN_GRACE + 5 {
            let seen = Seen {
                unsent_bytes: unsent,
                ..behind(1500)
            };
            assert_eq!(chooser.at_keyframe(&seen, AUTO, &RATES, true), 2);
            unsent -= step;
        }
        // Less than a fragment caught up in an interval is not catching up: one more down.
        let stuck = Seen {
            unsent_bytes: unsent + step + 1,
            ..behind(1500)
        };
        assert_eq!(chooser.at_keyframe(&stuck, AUTO, &RATES, true), 3);
        // Nor is a backlog that shrank because the viewer was skipped forward.
        let mut chooser = Chooser::new(0);
        chooser.at_keyframe(&behind(1500), AUTO, &RATES, true);
        for _ in 0..DRAIN_GRACE {
            chooser.at_keyframe(&behind(1500), AUTO, &RATES, true);
        }
        let skipped = Seen {
            skipped: true,
            unsent_bytes: 0,
            ..behind(1500)
        };
        assert_eq!(chooser.at_keyframe(&skipped, AUTO, &RATES, true), 3);
    }

    #[test]
    fn a_blip_is_not_being_behind() {
        let mut chooser = Chooser::new(0);
        let blip = Seen {
            blocked: true,
            unsent_bytes: 50_000,
            ..clean()
        };
        assert_eq!(
            chooser.at_keyframe(&blip, AUTO, &RATES, true),
            0,
            "less than a fragment unsent"
        );
    }

    #[test]
    fn up_one_rung_only_after_three_clean_intervals() {
        let mut chooser = Chooser::new(3);
        assert_eq!(chooser.at_keyframe(&clean(), AUTO, &RATES, true), 3);
        assert_eq!(chooser.at_keyframe(&clean(), AUTO, &RATES, true), 3);
        assert_eq!(
            chooser.at_keyframe(&clean(), AUTO, &RATES, true),
            2,
            "one rung, after three"
        );
        let unclean = Seen {
            blocked: true,
            ..clean()
        };
        chooser.at_keyframe(&clean(), AUTO, &RATES, true);
        chooser.at_keyframe(&unclean, AUTO, &RATES, true);
        assert_eq!(
            chooser.at_keyframe(&clean(), AUTO, &RATES, true),
            2,
            "a blocked write starts over"
        );
    }

    #[test]
    fn a_link_that_carries_one_rung_but_not_the_next_settles_without_oscillating() {
        // The link carries 480p (1100) but not 720p (2600).
        let mut chooser = Chooser::new(2);
        let mut switches = 0;
        let mut last = chooser.rung();
        for _ in 0..300 {
            let seen = if chooser.rung() < 2 {
                behind(1800)
            } else {
                clean()
            };
            let rung = chooser.at_keyframe(&seen, AUTO, &RATES, true);
            switches += usize::from(rung != last);
            last = rung;
        }
        // Tries at 3, 6, 12, 24, then every 48 clean intervals: each try is two switches.
        assert!(switches <= 20, "{switches} switches in 300 keyframes");
        assert_eq!(
            chooser.up_after, UP_AFTER_MAX,
            "failed tries wait longer and longer"
        );
        for _ in 0..UP_AFTER_MAX {
            chooser.at_keyframe(&clean(), AUTO, &RATES, true);
        }
        assert!(chooser.rung() <= 1, "the link got faster: it still goes up");
    }

    /// Clean, on a link the kernel measured at `kbps`.
    fn measured(kbps: f64) -> Seen {
        Seen {
            link_kbps: Some(kbps),
            ..clean()
        }
    }

    #[test]
    fn where_the_kernel_measures_the_link_a_rung_it_cannot_carry_is_never_tried() {
        // 1800 kbit/s carries 480p (1100 with the margin), not 720p (2600).
        let mut chooser = Chooser::new(3);
        let rungs: Vec<usize> = (0..300)
            .map(|_| chooser.at_keyframe(&measured(1800.0), AUTO, &RATES, true))
            .collect();
        assert_eq!(rungs[..3], [3, 3, 2], "up after three clean intervals");
        assert!(
            rungs[2..].iter().all(|&r| r == 2),
            "settled on 480p: {rungs:?}"
        );
    }

    /// A viewer on the source whose link was measured at 1500 kbit/s as it fell behind, stepped
    /// down to 480p; and what it saw then.
    fn on_480p_measured_at_1500() -> (Chooser, Seen) {
        let mut chooser = Chooser::new(0);
        let behind = Seen {
            link_kbps: Some(1500.0),
            ..behind(1500)
        };
        assert_eq!(chooser.at_keyframe(&behind, AUTO, &RATES, true), 2);
        (chooser, behind)
    }

    #[test]
    fn a_link_measured_once_is_not_tried_above_what_it_carries() {
        // Measured at 1500 kbit/s as it fell behind on the source: down to 480p. The kernel
        // then measures nothing new (480p leaves the link room) but, now and then, a lower
        // bound far above the link (a few packets through at once), even two in a row: 720p
        // is never tried.
        let (mut chooser, behind) = on_480p_measured_at_1500();
        let bogus = |n: u32| Seen {
            link_at_least: (n % 7 >= 5).then_some(266_000.0),
            ..clean()
        };
        let rungs: Vec<usize> = (0..MEASURED_HOLDS * 3)
            .map(|n| chooser.at_keyframe(&bogus(n), AUTO, &RATES, true))
            .collect();
        assert!(rungs.iter().all(|&r| r == 2), "{rungs:?}");

        // The link got fast: lower bounds above what was measured, interval after interval.
        let at_least = Seen {
            link_at_least: Some(50_000.0),
            ..clean()
        };
        let rungs: Vec<usize> = (0..AT_LEAST_AGREE + 1)
            .map(|_| chooser.at_keyframe(&at_least, AUTO, &RATES, true))
            .collect();
        assert_eq!(rungs, [2, 2, 0, 0], "to the top at the third");

        // It had not, after all: behind on the source, down to 480p again. Bounds that led to
        // a failed step up need twice the run the next time.
        assert_eq!(chooser.at_keyframe(&behind, AUTO, &RATES, true), 2);
        let rungs: Vec<usize> = (0..AT_LEAST_AGREE * 2)
            .map(|_| chooser.at_keyframe(&at_least, AUTO, &RATES, true))
            .collect();
        assert_eq!(rungs, [2, 2, 2, 2, 2, 0], "to the top at the sixth");
    }

    #[test]
    fn a_bound_a_full_measurement_contradicts_is_not_taken() {
        // On 480p after a measurement of 1500 kbit/s, a bound far above the link (a few packets
        // through at once) stands two intervals at a time, then a full measurement of the link
        // replaces it: the run starts over each time, and 720p is never tried.
        let (mut chooser, _) = on_480p_measured_at_1500();
        let standing = |n: u32| {
            if n % 3 == 2 {
                measured(1500.0)
            } else {
                Seen {
                    link_at_least: Some(266_000.0),
                    ..clean()
                }
            }
        };
        let rungs: Vec<usize> = (0..30)
            .map(|n| chooser.at_keyframe(&standing(n), AUTO, &RATES, true))
            .collect();
        assert!(rungs.iter().all(|&r| r == 2), "{rungs:?}");
    }

    #[test]
    fn a_bound_goes_only_as_far_as_the_links_idle_time_bears_it_out() {
        // On 480p after a measurement of 1500 kbit/s. The kernel keeps a bound far above the
        // link (a few packets through at once), standing interval after interval; but 480p
        // keeps the link busy three quarters of the time: it carries about 1470 kbit/s, and
        // 720p is never tried.
        let (mut chooser, _) = on_480p_measured_at_1500();
        let on_480p = |bound: f64, busy: f64| Seen {
            drained_bytes: 1100 * 2000 / 8,
            link_at_least: Some(bound),
            link_busy: Some(busy),
            ..clean()
        };
        let rungs: Vec<usize> = (0..30)
            .map(|_| chooser.at_keyframe(&on_480p(266_000.0, 0.75), AUTO, &RATES, true))
            .collect();
        assert!(rungs.iter().all(|&r| r == 2), "{rungs:?}");
        // The link got fast: busy a twentieth of the time (22 Mbit/s), under the same bound.
        let rungs: Vec<usize> = (0..AT_LEAST_AGREE)
            .map(|_| chooser.at_keyframe(&on_480p(266_000.0, 0.05), AUTO, &RATES, true))
            .collect();
        assert_eq!(rungs, [2, 2, 0], "to the top at the third");
        // Idle nearly all the time, one interval, under a bound of 2000 kbit/s: the bound
        // caps it (the lesser of the two).
        let mut chooser = Chooser::new(3);
        chooser.at_keyframe(&measured(500.0), AUTO, &RATES, true);
        let rungs: Vec<usize> = (0..AT_LEAST_AGREE)
            .map(|_| chooser.at_keyframe(&on_480p(2000.0, 0.0), AUTO, &RATES, true))
            .collect();
        assert_eq!(rungs, [3, 3, 2], "480p, which 2000 kbit/s carries");
    }

    #[test]
    fn a_bound_that_stands_below_the_measurement_does_not_renew_it() {
        // Measured at 500 kbit/s (240p); then the kernel keeps a bound below that and nothing
        // else comes: nothing new, so in time one rung up is tried, as with no figure at all.
        let mut chooser = Chooser::new(3);
        chooser.at_keyframe(&measured(500.0), AUTO, &RATES, true);
        let below = Seen {
            link_at_least: Some(450.0),
            ..clean()
        };
        let first = (1..=MEASURED_HOLDS * 4)
            .find(|_| chooser.at_keyframe(&below, AUTO, &RATES, true) == 2)
            .expect("a try of 480p");
        assert_eq!(first, MEASURED_HOLDS + 1, "renewed once, when it was new");
    }

    #[test]
    fn a_measurement_nothing_renews_gives_way_to_a_try_one_rung_up() {
        // No figure of the link at all after it was measured at 500 kbit/s (240p): in time one
        // rung up is tried; if that fails, the measurement holds twice as long before the next.
        let mut chooser = Chooser::new(3);
        chooser.at_keyframe(&measured(500.0), AUTO, &RATES, true);
        let first = (1..=MEASURED_HOLDS * 4)
            .find(|_| chooser.at_keyframe(&clean(), AUTO, &RATES, true) == 2)
            .expect("a try of 480p");
        assert_eq!(first, MEASURED_HOLDS);
        let failed = Seen {
            link_kbps: Some(500.0),
            ..behind(500)
        };
        assert_eq!(chooser.at_keyframe(&failed, AUTO, &RATES, true), 3);
        let second = (1..=MEASURED_HOLDS * 8)
            .find(|_| chooser.at_keyframe(&clean(), AUTO, &RATES, true) == 2)
            .expect("another try of 480p");
        assert_eq!(second, 2 * MEASURED_HOLDS);
    }

    #[test]
    fn a_link_that_got_fast_is_followed_to_the_top_in_one_step() {
        let mut chooser = Chooser::new(3);
        for _ in 0..10 {
            chooser.at_keyframe(&measured(500.0), AUTO, &RATES, true);
        }
        assert_eq!(chooser.rung(), 3, "500 kbit/s carries 240p only");
        let rungs: Vec<usize> = (0..AT_LEAST_AGREE)
            .map(|_| chooser.at_keyframe(&measured(50_000.0), AUTO, &RATES, true))
            .collect();
        assert_eq!(
            rungs,
            [3, 3, 0],
            "clean all along: at the third keyframe that shows it"
        );
        // Capped by the player's say all the same.
        let mut small = Chooser::new(3);
        let say = Say {
            highest: 2,
            picked: None,
        };
        for _ in 0..3 {
            small.at_keyframe(&measured(50_000.0), say, &RATES, true);
        }
        assert_eq!(small.rung(), 2);
    }

    #[test]
    fn a_full_measurement_far_above_the_last_is_not_taken_alone() {
        // On 240p after the link was measured at 1437 kbit/s while it drained the backlog of
        // the source. 240p leaves the link idle most of the time, its token bucket fills, and
        // the next keyframe's first packets go through at once: the kernel measures 5.5 Mbit/s
        // with the sender's queue full, once. The source is not tried on it; 480p, which the
        // link carries, is.
        let mut chooser = Chooser::new(3);
        let seen = [measured(1437.0), measured(5493.0)]
            .into_iter()
            .chain(std::iter::repeat_with(clean).take(20));
        let rungs: Vec<usize> = seen
            .map(|seen| chooser.at_keyframe(&seen, AUTO, &RATES, true))
            .collect();
        assert_eq!(rungs[..3], [3, 3, 2], "up after three clean intervals");
        assert!(rungs[2..].iter().all(|&r| r == 2), "{rungs:?}");
        // A full measurement below the last is taken at once.
        chooser.at_keyframe(&measured(500.0), AUTO, &RATES, true);
        chooser.at_keyframe(&behind(500), AUTO, &RATES, true);
        assert_eq!(chooser.rung(), 3);
        let rungs: Vec<usize> = (0..UP_AFTER * 2)
            .map(|_| chooser.at_keyframe(&clean(), AUTO, &RATES, true))
            .collect();
        assert!(rungs.iter().all(|&r| r == 3), "{rungs:?}");
    }

    #[test]
    fn behind_goes_down_to_what_the_kernel_measured() {
        let mut chooser = Chooser::new(0);
        let seen = Seen {
            link_kbps: Some(1500.0),
            // The hub's own view is gloomier (the kernel's queue filled first).
            ..behind(600)
        };
        assert_eq!(chooser.at_keyframe(&seen, AUTO, &RATES, true), 2);
    }

    #[test]
    fn a_step_up_that_holds_shortens_the_next_wait() {
        let mut chooser = Chooser::new(3);
        chooser.up_after = 24;
        for _ in 0..24 {
            chooser.at_keyframe(&clean(), AUTO, &RATES, true);
        }
        assert_eq!(chooser.rung(), 2);
        for _ in 0..FAILED_WITHIN {
            chooser.at_keyframe(&clean(), AUTO, &RATES, true);
        }
        assert_eq!(chooser.up_after, 12);
    }

    #[test]
    fn the_players_say_caps_and_a_picked_rung_holds() {
        let phone = Say {
            highest: 2,
            picked: None,
        };
        let mut chooser = Chooser::new(0);
        assert_eq!(
            chooser.at_keyframe(&clean(), phone, &RATES, true),
            2,
            "a lower cap applies at once"
        );
        for _ in 0..20 {
            assert_eq!(
                chooser.at_keyframe(&clean(), phone, &RATES, true),
                2,
                "never above the cap"
            );
        }
        let picked = Say {
            highest: 0,
            picked: Some(1),
        };
        let mut chooser = Chooser::new(3);
        assert_eq!(
            chooser.at_keyframe(&behind(300), picked, &RATES, true),
            1,
            "held whatever it shows"
        );
        let audio = Say {
            highest: 0,
            picked: Some(9),
        };
        assert_eq!(
            chooser.at_keyframe(&clean(), audio, &RATES, true),
            4,
            "past the end: the lowest"
        );
    }
}
