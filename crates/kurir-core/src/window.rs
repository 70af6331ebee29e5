//! The adaptive concurrency window of one endpoint: how many attempts kurir lets it have at once, learned from its
//! answers in the spirit of TCP congestion control. A small receiver (a single-threaded script with a listen
//! backlog of 5) is never flooded with hundreds of connections, while a fast one soon gets all the endpoint's
//! ceiling (its own `max_in_flight`, or the server's).
//!
//! - **Start low**: [`Window::START`] attempts at once.
//! - **Grow while it answers fast**, and only while the window is in use (a claim filled at least half of it):
//!   by one per fast success below the threshold (slow start: at most doubling per [`Window::ROUND_MS`], however
//!   quick the round trips, so that a stuck attempt, below, can show before the window has doubled many more
//!   times), then by one per window of fast successes (additive increase). An endpoint that idles at a low rate
//!   keeps a small window, so the burst after a receiver's restart starts gently.
//! - **Stop doubling when answers queue up**: the window keeps the quickest success it has seen; a success much
//!   slower than that (see [`Window::queued`]) means requests now wait at the receiver, so slow start ends there
//!   (as TCP's HyStart does) and the window only grows by fast answers from then on. Nothing is cut for it.
//! - **Pause slow start while an attempt is stuck**: a flood's first symptom is an attempt that does not come
//!   back (its connection waits a second for the kernel to retry, the receiver's listen backlog being full), and
//!   its answer only shows that a second later. So a claim also tells the window how long its oldest attempt
//!   still out has been out, beyond the time its outcome may wait to be written; while that is well beyond the
//!   quickest answer (see [`Window::stuck`]), fast answers of the others do not grow it. That sees a flood within
//!   about a tenth of a second, which is what lets slow start double every [`Window::ROUND_MS`] rather than wait
//!   out the second. Once slow start is over the window grows by one a window, and a receiver with a long tail of
//!   slow answers is not held for it.
//! - **Back off on overload** (timeouts, connection errors, 429 and 503): halve the window, and the threshold
//!   with it. Only an attempt started after the last cut can cut again, so one burst of failures that all went
//!   out under the old window halves it once, not once per failure.
//! - Other answers (a 400, a 500, a slow 200) say nothing about the receiver's capacity and change nothing.
//!
//! The window travels with the endpoint's circuit (see [`crate::circuit::Circuit`]), so every node of one
//! database shares it, the claim reads it where it reads the circuit, and writing outcomes feeds it where it
//! feeds the circuit. Pure: the caller passes the times.

use crate::delivery::{Attempt, AttemptErrorKind};
use crate::CoreError;

/// What one attempt's answer says about the receiver's capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// A 2xx within [`Signal::FAST_MS`], in this many milliseconds: it could take more, unless it queued.
    Fast { duration_ms: u32 },
    /// It is overloaded: a timeout, no connection, a 429 or a 503.
    Overloaded,
    /// Anything else: nothing learned about its capacity.
    Neutral,
}

impl Signal {
    /// A success slower than this is not a reason to send more at once.
    pub const FAST_MS: u32 = 1_000;

    /// What an attempt that went out says.
    pub fn of(attempt: &Attempt) -> Signal {
        match (attempt.error_kind, attempt.status) {
            (Some(AttemptErrorKind::Timeout | AttemptErrorKind::Connect), _) => Signal::Overloaded,
            (_, Some(429 | 503)) => Signal::Overloaded,
            (None, Some(200..=299)) if attempt.duration_ms < Signal::FAST_MS => {
                Signal::Fast { duration_ms: attempt.duration_ms }
            }
            _ => Signal::Neutral,
        }
    }
}

/// An endpoint's window; see the module's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    limit: u32,
    /// Below it, every fast success adds one (slow start); from it on, a window's worth of them adds one.
    threshold: u32,
    /// Fast successes counted towards the next additive step.
    credit: u32,
    /// When the window was last cut: attempts started before then were sent under the larger window.
    cut_at_ms: i64,
    /// Whether the last claim that leased for this endpoint filled at least half of the window.
    busy: bool,
    /// The quickest success seen, in milliseconds (`u32::MAX` before the first).
    quickest_ms: u32,
    /// When the current slow-start round began, and the limit then: slow start grows to at most twice that.
    round_at_ms: i64,
    round_base: u32,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            limit: Window::START,
            threshold: u32::MAX,
            credit: 0,
            cut_at_ms: 0,
            busy: false,
            quickest_ms: u32::MAX,
            round_at_ms: 0,
            round_base: Window::START,
        }
    }
}

impl Window {
    /// Attempts at once to an endpoint kurir knows nothing about yet.
    pub const START: u32 = 4;
    /// Slow start at most doubles the window in this long.
    pub const ROUND_MS: i64 = 50;
    /// How much longer than twice the quickest answer an attempt may be out (beyond the time its outcome may wait
    /// to be written, which the caller takes off) before the window counts it as stuck: room for the noise of a
    /// busy machine, well below the second a dropped connection waits.
    pub const STUCK_MS: u32 = 100;

    /// How many attempts the endpoint may have at once now, never above `ceiling`.
    pub fn limit(&self, ceiling: u32) -> u32 {
        self.limit.min(ceiling).max(1)
    }

    /// A claim leased for the endpoint and it now has `in_flight` attempts out, the oldest of them out for
    /// `longest_out_ms`: the window is in use when they fill at least half of it and, in slow start, none is
    /// stuck. A window above `ceiling` comes down to it, so that growth the ceiling never allowed does not have to
    /// be cut away first; one at the ceiling has nothing to grow into, so fast answers leave it (and its stored
    /// text) as it is.
    pub fn leased(&mut self, in_flight: u32, ceiling: u32, longest_out_ms: i64) {
        self.limit = self.limit.min(ceiling.max(1));
        let paused = self.in_slow_start() && self.stuck(longest_out_ms);
        self.busy = in_flight.saturating_mul(2) >= self.limit && self.limit < ceiling && !paused;
    }

    /// Learns from one attempt's answer; the attempt started at `started_at_ms` and was answered at `now_ms`.
    pub fn record(&mut self, signal: Signal, started_at_ms: i64, now_ms: i64) {
        match signal {
            Signal::Fast { duration_ms } => {
                self.quickest_ms = self.quickest_ms.min(duration_ms);
                if self.queued(duration_ms) {
                    self.threshold = self.threshold.min(self.limit);
                } else if self.busy {
                    self.grow(now_ms);
                }
            }
            Signal::Neutral => {}
            Signal::Overloaded if started_at_ms >= self.cut_at_ms => {
                self.threshold = (self.limit / 2).max(1);
                self.limit = self.threshold;
                self.credit = 0;
                self.cut_at_ms = now_ms;
            }
            // Sent under the window before the last cut: that cut has answered it already.
            Signal::Overloaded => {}
        }
    }

    /// Whether a success this slow waited at the receiver: more than twice the quickest, with 20 ms of slack for
    /// the noise of a fast receiver.
    pub fn queued(&self, duration_ms: u32) -> bool {
        duration_ms > self.quickest_ms.saturating_mul(2).saturating_add(20)
    }

    /// Whether an attempt out this long is stuck: out more than twice the quickest answer and [`Window::STUCK_MS`]
    /// (never before the first answer, when there is nothing to compare with).
    pub fn stuck(&self, out_ms: i64) -> bool {
        self.quickest_ms != u32::MAX
            && out_ms > i64::from(self.quickest_ms.saturating_mul(2).saturating_add(Window::STUCK_MS))
    }

    /// Whether the window is still in slow start (below its threshold).
    fn in_slow_start(&self) -> bool {
        self.limit < self.threshold
    }

    fn grow(&mut self, now_ms: i64) {
        if self.in_slow_start() {
            if now_ms >= self.round_at_ms.saturating_add(Window::ROUND_MS) {
                (self.round_at_ms, self.round_base) = (now_ms, self.limit);
            }
            if self.limit < self.round_base.saturating_mul(2) {
                self.limit = self.limit.saturating_add(1);
            }
            return;
        }
        self.credit += 1;
        if self.credit >= self.limit {
            self.limit = self.limit.saturating_add(1);
            self.credit = 0;
        }
    }

    /// The window as text for the store: `<limit> <threshold> <credit> <cut at> <busy 0|1> <quickest> <round at>
    /// <round base>` (the threshold `-` until slow start ends, the quickest `-` before the first success).
    pub fn encode(&self) -> String {
        let or_dash = |n: u32| if n == u32::MAX { "-".to_string() } else { n.to_string() };
        let (threshold, quickest) = (or_dash(self.threshold), or_dash(self.quickest_ms));
        let (limit, credit, cut_at, busy) = (self.limit, self.credit, self.cut_at_ms, u8::from(self.busy));
        format!("{limit} {threshold} {credit} {cut_at} {busy} {quickest} {} {}", self.round_at_ms, self.round_base)
    }

    /// Reads what [`Window::encode`] wrote. Words after the eighth are ignored: a later kurir sharing the
    /// database may write more, and a node that does not know them must still claim and write outcomes.
    pub fn decode(text: &str) -> Result<Window, CoreError> {
        let invalid = || CoreError::invalid("window", format!("`{text}` is not a concurrency window"));
        let words: Vec<&str> = text.split(' ').collect();
        let [limit, threshold, credit, cut_at_ms, busy, quickest, round_at_ms, round_base, ..] = words.as_slice()
        else {
            return Err(invalid());
        };
        let number = |word: &str| word.parse::<u32>().map_err(|_| invalid());
        let or_dash = |word: &str| if word == "-" { Ok(u32::MAX) } else { number(word) };
        let window = Window {
            limit: number(limit)?,
            threshold: or_dash(threshold)?,
            quickest_ms: or_dash(quickest)?,
            round_at_ms: round_at_ms.parse().map_err(|_| invalid())?,
            round_base: number(round_base)?,
            credit: number(credit)?,
            cut_at_ms: cut_at_ms.parse().map_err(|_| invalid())?,
            busy: match *busy {
                "0" => false,
                "1" => true,
                _ => return Err(invalid()),
            },
        };
        if window.limit == 0 || window.threshold == 0 {
            return Err(invalid());
        }
        Ok(window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy(mut window: Window) -> Window {
        window.leased(window.limit, u32::MAX, 0);
        window
    }

    #[test]
    fn slow_start_doubles_once_a_round_while_the_window_is_used() {
        let mut window = Window::default();
        assert_eq!(window.limit(256), 4);
        for (round, doubled) in [(1, 8), (2, 16), (3, 32)] {
            window = busy(window);
            let at = round * Window::ROUND_MS;
            for _ in 0..window.limit * 2 {
                window.record(Signal::Fast { duration_ms: 1 }, at, at + 1);
            }
            assert_eq!(window.limit(256), doubled, "however many answers come back within one round");
        }
        assert_eq!(window.limit(20), 20, "never above the ceiling");
    }

    /// Fast answers over as many rounds as slow start needs to reach `limit`.
    fn grow_to(window: &mut Window, limit: u32) {
        let mut at = 0;
        while window.limit < limit {
            at += Window::ROUND_MS;
            window.leased(window.limit, u32::MAX, 0);
            window.record(Signal::Fast { duration_ms: 1 }, at, at);
        }
    }

    #[test]
    fn answers_that_queue_end_slow_start_without_a_cut() {
        let mut window = busy(Window::default());
        for _ in 0..4 {
            window.record(Signal::Fast { duration_ms: 2 }, 0, 0);
        }
        assert_eq!(window.limit(256), 8);
        assert!(!window.queued(24) && window.queued(25), "twice the quickest, and 20 ms");
        window = busy(window);
        window.record(Signal::Fast { duration_ms: 60 }, 0, 0);
        assert_eq!(window.limit(256), 8, "queued: no growth, and no cut");
        for _ in 0..7 {
            window.record(Signal::Fast { duration_ms: 3 }, 0, 0);
        }
        assert_eq!(window.limit(256), 8, "slow start is over: a whole window of fast answers adds one");
        window.record(Signal::Fast { duration_ms: 3 }, 0, 0);
        assert_eq!(window.limit(256), 9);
    }

    #[test]
    fn a_stuck_attempt_pauses_growth_until_it_comes_back() {
        let mut window = busy(Window::default());
        window.record(Signal::Fast { duration_ms: 2 }, 0, 2);
        assert_eq!(window.limit(256), 5);
        assert!(!window.stuck(104) && window.stuck(105), "twice the quickest, and 100 ms");
        window.leased(5, 256, 105);
        for _ in 0..10 {
            window.record(Signal::Fast { duration_ms: 2 }, 10, 12);
        }
        assert_eq!(window.limit(256), 5, "the others' fast answers do not grow it while one is stuck");
        window.leased(5, 256, 40);
        window.record(Signal::Fast { duration_ms: 2 }, 20, 22);
        assert_eq!(window.limit(256), 6, "once none is stuck, it grows again");
        let mut fresh = Window::default();
        fresh.leased(4, 256, 10_000);
        fresh.record(Signal::Fast { duration_ms: 2 }, 0, 2);
        assert_eq!(fresh.limit(256), 5, "before the first answer nothing counts as stuck");
        window.record(Signal::Fast { duration_ms: 60 }, 30, 90);
        window.leased(6, 256, 10_000);
        for _ in 0..6 {
            window.record(Signal::Fast { duration_ms: 2 }, 100, 102);
        }
        assert_eq!(window.limit(256), 7, "after slow start (a queued answer ended it) a stuck one holds nothing");
    }

    #[test]
    fn an_idle_window_does_not_grow() {
        let mut window = Window::default();
        window.leased(1, 256, 0);
        for _ in 0..1_000 {
            window.record(Signal::Fast { duration_ms: 1 }, 0, 0);
        }
        assert_eq!(window.limit(256), 4, "one attempt at a time never fills half of four");
    }

    #[test]
    fn overload_halves_once_per_burst_then_growth_is_additive() {
        let mut window = busy(Window::default());
        grow_to(&mut window, 32);
        assert_eq!(window.limit(256), 32);
        for _ in 0..32 {
            window.record(Signal::Overloaded, 100, 200);
        }
        assert_eq!(window.limit(256), 16, "32 timeouts of one burst halve it once");
        window.record(Signal::Overloaded, 250, 300);
        assert_eq!(window.limit(256), 8, "an attempt sent after the cut cuts again");
        window = busy(window);
        for _ in 0..7 {
            window.record(Signal::Fast { duration_ms: 1 }, 400, 400);
        }
        assert_eq!(window.limit(256), 8, "above the threshold it takes a whole window of successes");
        window.record(Signal::Fast { duration_ms: 1 }, 400, 400);
        assert_eq!(window.limit(256), 9);
    }

    #[test]
    fn it_never_goes_below_one_and_comes_down_to_the_ceiling() {
        let mut window = Window::default();
        for at in 0..10 {
            window.record(Signal::Overloaded, at, at);
        }
        assert_eq!(window.limit(256), 1);
        let mut big = busy(Window::default());
        grow_to(&mut big, 100);
        big.leased(16, 16, 0);
        let at_the_ceiling = big;
        big.record(Signal::Fast { duration_ms: 1 }, 1, 1);
        assert_eq!(big, at_the_ceiling, "a full window at its ceiling does not change");
        big.record(Signal::Overloaded, 1, 1);
        assert_eq!(big.limit(256), 8, "a cut from the ceiling, not from growth it never allowed");
    }

    #[test]
    fn signals_come_from_the_answer() {
        let attempt = |status: Option<u16>, kind: Option<AttemptErrorKind>, duration_ms: u32| Attempt {
            id: crate::id::AttemptId::generate(0, 1),
            tenant: "acme".parse().unwrap_or_else(|e| panic!("{e}")),
            delivery_id: crate::id::DeliveryId::generate(0, 2),
            attempt_no: 1,
            started_at_ms: 0,
            duration_ms,
            status,
            error_kind: kind,
            error: None,
            response_excerpt: String::new(),
            request: None,
            response_headers: Vec::new(),
        };
        assert_eq!(Signal::of(&attempt(Some(200), None, 20)), Signal::Fast { duration_ms: 20 });
        assert_eq!(Signal::of(&attempt(Some(204), None, 1_500)), Signal::Neutral, "slow");
        assert_eq!(Signal::of(&attempt(None, Some(AttemptErrorKind::Timeout), 15_000)), Signal::Overloaded);
        assert_eq!(Signal::of(&attempt(None, Some(AttemptErrorKind::Connect), 3)), Signal::Overloaded);
        let status = Some(AttemptErrorKind::Status);
        assert_eq!(Signal::of(&attempt(Some(429), status, 3)), Signal::Overloaded);
        assert_eq!(Signal::of(&attempt(Some(503), status, 3)), Signal::Overloaded);
        assert_eq!(Signal::of(&attempt(Some(500), status, 3)), Signal::Neutral);
        assert_eq!(Signal::of(&attempt(Some(400), status, 3)), Signal::Neutral);
    }

    #[test]
    fn the_text_reads_back() {
        let mut window = busy(Window::default());
        window.record(Signal::Overloaded, 5, 9);
        for state in [Window::default(), window] {
            assert_eq!(Window::decode(&state.encode()).ok(), Some(state), "{}", state.encode());
        }
        assert_eq!(Window::default().encode(), "4 - 0 0 0 - 0 4");
        for bad in ["", "4", "0 - 0 0 0 - 0 4", "4 x 0 0 0 - 0 4", "4 - 0 0 2 - 0 4", "4 - 0 0 0 - 0"] {
            assert!(Window::decode(bad).is_err(), "{bad}");
        }
        let newer = Window::decode("8 - 0 0 1 3 50 4 1234 x");
        assert_eq!(newer.map(|w| w.encode()).ok().as_deref(), Some("8 - 0 0 1 3 50 4"), "a later kurir's words");
    }
}
