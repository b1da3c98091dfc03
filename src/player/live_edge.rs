//! How far behind the live edge the player holds itself, chosen from what it observes.
//!
//! Fragments arrive every `fragment` seconds of media. Just before one arrives, the player has
//! `headroom` seconds of media left to play; that is the only slack it has against late
//! arrivals. The player aims for a headroom of `margin`: it starts small and grows each time the
//! video starves (headroom gone when a fragment arrives), at least to the spread of the last
//! arrivals' delays (a slow link delivers a large keyframe fragment late and the next ones in a
//! burst: one stall teaches what the link needs, not one per tenth of a second of it). While
//! nothing starves it shrinks again, towards the most the arrivals of the last two minutes
//! needed, never below (a late keyframe every minute stalls the player once, not each time: a
//! stall costs a viewer far more than the headroom). A switch of rung starts that afresh (what
//! the rung above's backlog needed says nothing of the rung below), and what the arrivals need
//! before the new rung's first calm spell (the switch's own backlog) is kept only half a
//! minute. More
//! headroom than the margin is latency for nothing: the player plays slightly faster until it
//! is spent, and seeks only when it is far too much.
//!
//! Pure arithmetic, no browser types: the player loop (`client::live_player`) feeds it the
//! buffered end and the playhead, and applies what [`LiveEdge::steer`] answers.

use std::collections::VecDeque;

/// The smallest and largest headroom the player aims for, seconds.
const MIN_MARGIN: f64 = 0.08;
const MAX_MARGIN: f64 = 1.0;
/// A starving playhead raises the margin by this much, at most once every `RAISE_GAP_MS`: the
/// arrivals of one starved spell (a join at the live edge, a hiccup) are one stall, not one per
/// fragment, or a few seconds of start-up would hold the player a second behind for minutes.
const STALL_STEP: f64 = 0.1;
const RAISE_GAP_MS: f64 = 1_000.0;
/// While nothing starves, every `RELAX_MS` the margin shrinks half way to what the last
/// arrivals' spread needs, and by `RELAX_STEP` at least.
const RELAX_STEP: f64 = 0.02;
const RELAX_MS: f64 = 10_000.0;
/// Headroom below this when a fragment arrives: the playhead was at the end, starving (one
/// video frame at 30 fps is 33 ms, so a playhead on the last frame still shows that much).
const STARVED_SECS: f64 = 0.04;
/// Arrivals whose headroom is compared with the margin (about a second of 200 ms fragments).
const WINDOW: usize = 5;
/// Arrivals whose delays are compared for their spread (about 10 s of 200 ms fragments, so
/// several keyframes and a link's rarer hiccups).
const DELAY_WINDOW: usize = 50;
/// Headroom a stall adds above the spread of the arrivals' delays (a frame or so).
const SPREAD_SLACK: f64 = 0.05;
/// How long what the arrivals needed is remembered, ms: the margin does not relax below it. A
/// token bucket's late keyframes differ from one to the next: remembered for half a minute, the
/// margin came down between the later ones, two or three stalls a minute on the slow-link bench.
const NEEDS_KEPT_MS: f64 = 120_000.0;
/// How long it is remembered before the rung's first calm spell, ms: what a switch's backlog
/// needed (a second or more on a switch down) would hold the viewer that far behind for minutes.
const UNSETTLED_KEPT_MS: f64 = 30_000.0;
/// The most needs remembered (a stall adds one at most every `RAISE_GAP_MS`, a calm spell one
/// every `RELAX_MS`).
const NEEDS_MAX: usize = 40;
/// Excess headroom under this is left alone; above it, the player plays faster.
const TOLERANCE_SECS: f64 = 0.04;
/// Playback rate while catching up: proportional to the excess, within these bounds.
const MIN_CATCH_UP: f64 = 1.03;
const MAX_CATCH_UP: f64 = 1.2;
/// Excess headroom past which a seek is quicker than catching up.
const SEEK_EXCESS_SECS: f64 = 0.75;
/// Fragment duration assumed before two arrivals have shown it.
const DEFAULT_FRAGMENT_SECS: f64 = 0.2;

/// What the player should do now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Steer {
    /// Jump to this media time (the buffered end minus the margin and one fragment).
    Seek(f64),
    /// Play at this rate (1.0, or faster to spend excess headroom).
    Rate(f64),
}

/// What the arrivals needed (their delays' spread plus the slack), seconds, and until when it is
/// kept, ms.
#[derive(Debug, Clone, Copy)]
struct Need {
    secs: f64,
    until_ms: f64,
}

#[derive(Debug)]
pub struct LiveEdge {
    margin: f64,
    fragment: f64,
    headroom: VecDeque<f64>,
    /// Each recent arrival's wall time less the media time it starts at, seconds, while
    /// playing: constant for fragments on time, spread by a link's bursts.
    delays: VecDeque<f64>,
    /// What the arrivals needed at recent stalls and calm spells.
    needs: VecDeque<Need>,
    /// Whether the rung has had a calm spell since the last switch.
    settled: bool,
    last_end: Option<f64>,
    /// The playhead at the last arrival while playing: one that has not moved since is not
    /// starving, it has not started (or the page is hidden).
    last_playhead: Option<f64>,
    calm_since_ms: f64,
    raised_at_ms: Option<f64>,
    stalls: u32,
}

impl LiveEdge {
    pub fn new(now_ms: f64) -> Self {
        Self {
            margin: MIN_MARGIN,
            fragment: DEFAULT_FRAGMENT_SECS,
            headroom: VecDeque::with_capacity(WINDOW),
            delays: VecDeque::with_capacity(DELAY_WINDOW),
            needs: VecDeque::with_capacity(NEEDS_MAX),
            settled: false,
            last_end: None,
            last_playhead: None,
            calm_since_ms: now_ms,
            raised_at_ms: None,
            stalls: 0,
        }
    }

    /// A new encoder run (new timestamps), or a new pipe: forget positions and what the
    /// arrivals needed, keep the margin learnt.
    pub fn restart(&mut self) {
        self.switched();
        self.headroom.clear();
        self.last_end = None;
        self.last_playhead = None;
    }

    /// The stream moved to another rung of the same timeline: what the arrivals of the last
    /// one needed (on a switch down, mostly its backlog) says nothing of this one.
    pub fn switched(&mut self) {
        self.delays.clear();
        self.needs.clear();
        self.settled = false;
    }

    /// A fragment arrives. `buffered_end` is the end of the media buffered before it, `playhead`
    /// the current time; `playing` is false before playback starts (not a starving player).
    pub fn on_arrival(&mut self, buffered_end: f64, playhead: f64, playing: bool, now_ms: f64) {
        if let Some(last) = self.last_end {
            let step = buffered_end - last;
            if step > 0.01 && step < 5.0 {
                self.fragment = 0.8 * self.fragment + 0.2 * step;
            } else {
                // Not the next fragment (a gap, a jump): delays before it say nothing now.
                self.delays.clear();
            }
        }
        self.last_end = Some(buffered_end);
        if !playing {
            self.last_playhead = None;
            self.delays.clear();
            return;
        }
        if self.delays.len() == DELAY_WINDOW {
            self.delays.pop_front();
        }
        self.delays.push_back(now_ms / 1000.0 - buffered_end);
        let moved = self.last_playhead.is_some_and(|last| playhead > last);
        self.last_playhead = Some(playhead);
        let headroom = buffered_end - playhead;
        if headroom < STARVED_SECS && moved {
            let spell_over = self
                .raised_at_ms
                .is_none_or(|at| now_ms - at >= RAISE_GAP_MS);
            if spell_over {
                self.stalls += 1;
                let needs = self.delay_spread() + SPREAD_SLACK;
                self.remember(needs, now_ms);
                self.margin = (self.margin + STALL_STEP).max(needs).min(MAX_MARGIN);
                self.raised_at_ms = Some(now_ms);
            }
            self.calm_since_ms = now_ms;
            // The playhead waited: everything before this arrival is old news.
            self.headroom.clear();
        } else if now_ms - self.calm_since_ms >= RELAX_MS {
            self.remember(self.delay_spread() + SPREAD_SLACK, now_ms);
            let needs = self
                .needs
                .iter()
                .map(|need| need.secs)
                .fold(MIN_MARGIN, f64::max);
            if self.margin > needs {
                let half_way = (self.margin + needs) / 2.0;
                self.margin = (self.margin - RELAX_STEP).min(half_way).max(needs);
            }
            self.calm_since_ms = now_ms;
            // What this spell needed may still hold the switch's backlog; from the next on,
            // the rung's own.
            self.settled = true;
        }
        if self.headroom.len() == WINDOW {
            self.headroom.pop_front();
        }
        self.headroom.push_back(headroom.max(0.0));
    }

    /// What to do, given the buffered end and the playhead now. `in_range` is false when the
    /// playhead is outside every buffered range (it must jump).
    pub fn steer(&self, buffered_end: f64, playhead: f64, in_range: bool) -> Steer {
        let behind = buffered_end - playhead;
        let target = self.margin + self.fragment;
        if !in_range || behind > target + SEEK_EXCESS_SECS {
            return Steer::Seek(buffered_end - target);
        }
        // The least headroom lately is what the player could spare without starving.
        let Some(least) = self.headroom.iter().copied().reduce(f64::min) else {
            return Steer::Rate(1.0);
        };
        let excess = least - self.margin;
        if excess > TOLERANCE_SECS {
            Steer::Rate((1.0 + excess * 0.5).clamp(MIN_CATCH_UP, MAX_CATCH_UP))
        } else {
            Steer::Rate(1.0)
        }
    }

    /// Remembers what the arrivals needed at `now_ms`, forgetting what is past its keeping.
    fn remember(&mut self, secs: f64, now_ms: f64) {
        self.needs.retain(|need| now_ms <= need.until_ms);
        if self.needs.len() >= NEEDS_MAX {
            self.needs.pop_front();
        }
        let kept_ms = if self.settled {
            NEEDS_KEPT_MS
        } else {
            UNSETTLED_KEPT_MS
        };
        self.needs.push_back(Need {
            secs,
            until_ms: now_ms + kept_ms,
        });
    }

    /// How much later than the earliest the latest of the recent arrivals came, seconds: the
    /// headroom that would have spared the player all of them.
    fn delay_spread(&self) -> f64 {
        let (low, high) = self
            .delays
            .iter()
            .fold((f64::MAX, f64::MIN), |(low, high), d| {
                (low.min(*d), high.max(*d))
            });
        (high - low).max(0.0)
    }

    /// The headroom the player aims for now, seconds.
    pub fn margin(&self) -> f64 {
        self.margin
    }

    /// Times the playhead starved since the start.
    pub fn stalls(&self) -> u32 {
        self.stalls
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays `secs` of 200 ms fragments arriving on time, the playhead `behind` the newest
    /// media right after each arrival and advancing at `rate`; returns the steer at the end.
    fn steady(edge: &mut LiveEdge, start_ms: f64, secs: f64, behind: f64) -> Steer {
        let mut end = 10.0;
        let mut steer = Steer::Rate(1.0);
        for i in 0..(secs / 0.2) as usize {
            let now = start_ms + i as f64 * 200.0;
            // Just before the arrival the playhead has played 0.2 s since the last one.
            edge.on_arrival(end, end + 0.2 - behind, true, now);
            end += 0.2;
            steer = edge.steer(end, end - behind, true);
        }
        steer
    }

    #[test]
    fn on_time_fragments_at_the_margin_play_at_normal_speed() {
        let mut edge = LiveEdge::new(0.0);
        // Headroom before each arrival: 0.2 + 0.1 - 0.2 = 0.1, a little over the 0.08 margin.
        assert_eq!(steady(&mut edge, 0.0, 5.0, 0.3), Steer::Rate(1.0));
        assert_eq!(edge.stalls(), 0);
    }

    #[test]
    fn excess_headroom_is_spent_by_playing_faster() {
        let mut edge = LiveEdge::new(0.0);
        let Steer::Rate(rate) = steady(&mut edge, 0.0, 3.0, 0.8) else {
            panic!("0.8 s behind is caught up, not sought");
        };
        assert!(rate > 1.0 && rate <= MAX_CATCH_UP, "rate {rate}");
    }

    #[test]
    fn far_behind_or_outside_the_buffer_seeks_to_margin_plus_a_fragment() {
        let mut edge = LiveEdge::new(0.0);
        steady(&mut edge, 0.0, 2.0, 0.3);
        let target = 20.0 - edge.margin() - 0.2;
        let Steer::Seek(at) = edge.steer(20.0, 15.0, true) else {
            panic!("5 s behind must seek");
        };
        assert!(
            (at - target).abs() < 0.01,
            "seek to {at}, expected {target}"
        );
        assert!(matches!(edge.steer(20.0, 19.9, false), Steer::Seek(_)));
    }

    #[test]
    fn starving_raises_the_margin_and_calm_lowers_it_again() {
        let mut edge = LiveEdge::new(0.0);
        // Fragments on time; the playhead sits on the newest frame when the next one arrives
        // at 200 ms and at 1400 ms: two spells more than a second apart.
        let mut end = 9.8;
        for i in 0..8 {
            let playhead = if i == 1 || i == 7 {
                end - 0.01
            } else {
                end - 0.2
            };
            edge.on_arrival(end, playhead, true, i as f64 * 200.0);
            end += 0.2;
        }
        assert_eq!(edge.stalls(), 2);
        let raised = edge.margin();
        assert!((raised - (MIN_MARGIN + 2.0 * STALL_STEP)).abs() < 1e-9);
        // With the margin raised, the same on-time arrivals are not an excess to spend.
        assert_eq!(
            steady(&mut edge, 1_600.0, 2.0, raised + 0.2),
            Steer::Rate(1.0)
        );
        // A minute of calm brings it back down, never under the floor.
        steady(&mut edge, 3_600.0, 120.0, 0.3);
        assert!(edge.margin() < raised);
        assert!(edge.margin() >= MIN_MARGIN);
    }

    #[test]
    fn a_stall_on_a_bursty_link_raises_the_margin_to_what_its_bursts_need() {
        let mut edge = LiveEdge::new(0.0);
        // 200 ms fragments; each second the keyframe's arrives 450 ms late and the next ones
        // come in a burst behind it. The player holds 0.25 s of headroom: the late one starves it.
        let mut end = 10.0;
        let mut stalls_after_first = None;
        for i in 0..50 {
            let late = if i % 5 == 0 { 0.45 } else { 0.0 };
            let now = i as f64 * 200.0 + late * 1000.0;
            let held = if edge.stalls() == 0 {
                0.25
            } else {
                edge.margin() + 0.05
            };
            // The playhead, had it not waited, would be `held - late` behind the buffered end.
            let playhead = end - (held - late).max(0.0).min(held) - 0.001;
            edge.on_arrival(end, playhead.min(end - 0.001), true, now);
            end += 0.2;
            if edge.stalls() == 1 && stalls_after_first.is_none() {
                stalls_after_first = Some(i);
                // One stall: the margin covers the 450 ms bursts, not the 0.1 s step alone.
                assert!(edge.margin() >= 0.44, "margin {}", edge.margin());
            }
        }
        assert!(
            stalls_after_first.is_some(),
            "the late fragment starved the player"
        );
        assert_eq!(
            edge.stalls(),
            1,
            "the raised margin rides out the next bursts"
        );
    }

    /// A link that slowed: one fragment 2 s late at `at_ms`, the playhead waiting for it.
    fn two_seconds_late(edge: &mut LiveEdge, at_ms: f64) {
        edge.on_arrival(100.0, 99.8, true, at_ms);
        edge.on_arrival(100.2, 100.19, true, at_ms + 2_200.0);
        assert_eq!(edge.margin(), MAX_MARGIN);
    }

    #[test]
    fn once_the_link_is_steady_again_the_margin_comes_down_within_three_minutes() {
        let mut edge = LiveEdge::new(0.0);
        // Settled on its rung (a calm spell), then one fragment 2 s late.
        steady(&mut edge, 0.0, 12.0, 0.3);
        two_seconds_late(&mut edge, 12_000.0);
        // Then fragments on time: the late one is remembered for two minutes, then the margin
        // comes half way down every 10 s, to what they need.
        steady(&mut edge, 14_400.0, 110.0, 0.3);
        assert!(edge.margin() > 0.9, "margin {} after 110 s", edge.margin());
        steady(&mut edge, 124_400.0, 60.0, 0.3);
        assert!(
            edge.margin() < 0.2,
            "margin {} after 170 s on time",
            edge.margin()
        );
        assert!(edge.margin() >= MIN_MARGIN);
    }

    #[test]
    fn what_a_switchs_backlog_needed_is_kept_only_half_a_minute() {
        let mut edge = LiveEdge::new(0.0);
        steady(&mut edge, 0.0, 12.0, 0.3);
        // Down a rung: the first arrival on it comes 2 s late, behind the rung above's backlog.
        edge.switched();
        two_seconds_late(&mut edge, 12_000.0);
        // Remembered for half a minute, not two: the margin is down 70 s later.
        steady(&mut edge, 14_400.0, 70.0, 0.3);
        assert!(
            edge.margin() < 0.2,
            "margin {} 70 s after the switch",
            edge.margin()
        );
    }

    /// Plays `secs` of 200 ms fragments from `start_ms`, each `late_every`-th arriving `late`
    /// seconds late and the next ones in a burst behind it; between late ones the player holds
    /// the margin. Returns the stalls.
    fn late_now_and_then(edge: &mut LiveEdge, start_ms: f64, secs: f64, late_every: usize) -> u32 {
        let late = 0.4;
        let mut end = 10.0;
        for i in 0..(secs / 0.2) as usize {
            let late = if i % late_every == late_every - 1 {
                late
            } else {
                0.0
            };
            let now = start_ms + i as f64 * 200.0 + late * 1000.0;
            // Had it not waited, the playhead would be `margin - late` behind the buffered end.
            let headroom = (edge.margin() + 0.01 - late).max(0.001);
            edge.on_arrival(end, end - headroom, true, now);
            end += 0.2;
        }
        edge.stalls()
    }

    #[test]
    fn a_late_keyframe_now_and_then_stalls_the_player_once() {
        // A keyframe 0.4 s late every 20 s, for two minutes: the first stall teaches the
        // margin it needs, and the next late ones come before it is forgotten.
        let mut edge = LiveEdge::new(0.0);
        assert_eq!(late_now_and_then(&mut edge, 0.0, 120.0, 100), 1);
        assert!(edge.margin() >= 0.44, "margin {}", edge.margin());
        // One a minute, for four minutes: still one stall.
        let mut edge = LiveEdge::new(0.0);
        assert_eq!(late_now_and_then(&mut edge, 0.0, 240.0, 300), 1);
        // One every three minutes, rarer than it is remembered: the margin comes down in
        // between.
        let mut edge = LiveEdge::new(0.0);
        assert_eq!(late_now_and_then(&mut edge, 0.0, 360.0, 900), 2);
        // A switch of rung forgets what the last rung's arrivals needed.
        let mut edge = LiveEdge::new(0.0);
        late_now_and_then(&mut edge, 0.0, 30.0, 100);
        edge.switched();
        steady(&mut edge, 31_000.0, 20.0, 0.3);
        assert!(edge.margin() < 0.3, "margin {}", edge.margin());
    }

    #[test]
    fn one_starved_spell_raises_the_margin_once() {
        let mut edge = LiveEdge::new(0.0);
        // A player that started at the live edge starves at each of ten arrivals in two
        // seconds: two spells of a second, not ten stalls.
        let mut end = 10.0;
        for i in 0..10 {
            edge.on_arrival(end, end - 0.01, true, i as f64 * 200.0);
            end += 0.2;
        }
        assert_eq!(edge.stalls(), 2);
        assert!((edge.margin() - (MIN_MARGIN + 2.0 * STALL_STEP)).abs() < 1e-9);
    }

    #[test]
    fn a_playhead_that_has_not_moved_is_not_starving() {
        let mut edge = LiveEdge::new(0.0);
        // Playback was asked for but the first frame has not played: the playhead stays put
        // at the end of what is buffered while fragments arrive.
        for i in 0..10 {
            edge.on_arrival(10.0, 10.0, true, i as f64 * 200.0);
        }
        assert_eq!(edge.stalls(), 0);
        assert_eq!(edge.margin(), MIN_MARGIN);
    }

    #[test]
    fn before_playback_starts_nothing_counts_as_starving() {
        let mut edge = LiveEdge::new(0.0);
        edge.on_arrival(0.0, 0.0, false, 0.0);
        edge.on_arrival(0.2, 0.0, false, 10.0);
        assert_eq!(edge.stalls(), 0);
        assert_eq!(edge.margin(), MIN_MARGIN);
    }

    #[test]
    fn the_fragment_length_is_learnt_from_arrivals() {
        let mut edge = LiveEdge::new(0.0);
        let mut end = 0.0;
        for i in 0..30 {
            edge.on_arrival(end, end, false, i as f64 * 100.0);
            end += 0.1;
        }
        let Steer::Seek(at) = edge.steer(end, 0.0, false) else {
            panic!("outside the buffer must seek");
        };
        assert!(
            (end - at - (MIN_MARGIN + 0.1)).abs() < 0.01,
            "seek {at} of end {end}"
        );
    }
}
