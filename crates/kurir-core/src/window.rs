//! The adaptive concurrency window of one endpoint: how many attempts kurir lets it have at once, learned from its
//! answers in the spirit of TCP congestion control. A small receiver (a single-threaded script with a listen
//! backlog of 5) is never flooded with hundreds of connections, while a fast one soon gets all the endpoint's
//! ceiling (its own `max_in_flight`, or the server's).
//!
//! - **Start low**: [`Window::START`] attempts at once.
//! - **Grow while it answers fast**, and only while the window is in use (a claim filled at least half of it):
//!   by one per fast success below the threshold (slow start, doubling each round trip), then by one per window
//!   of fast successes (additive increase). An endpoint that idles at a low rate keeps a small window, so the
//!   burst after a receiver's restart starts gently.
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
    /// A 2xx within [`Signal::FAST_MS`]: it could take more.
    Fast,
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
            (None, Some(200..=299)) if attempt.duration_ms < Signal::FAST_MS => Signal::Fast,
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
}

impl Default for Window {
    fn default() -> Self {
        Window { limit: Window::START, threshold: u32::MAX, credit: 0, cut_at_ms: 0, busy: false }
    }
}

impl Window {
    /// Attempts at once to an endpoint kurir knows nothing about yet.
    pub const START: u32 = 4;

    /// How many attempts the endpoint may have at once now, never above `ceiling`.
    pub fn limit(&self, ceiling: u32) -> u32 {
        self.limit.min(ceiling).max(1)
    }

    /// A claim leased for the endpoint and it now has `in_flight` attempts out: the window is in use when they
    /// fill at least half of it. A window above `ceiling` comes down to it, so that growth the ceiling never
    /// allowed does not have to be cut away first.
    pub fn leased(&mut self, in_flight: u32, ceiling: u32) {
        self.limit = self.limit.min(ceiling.max(1));
        self.busy = in_flight.saturating_mul(2) >= self.limit;
    }

    /// Learns from one attempt's answer; the attempt started at `started_at_ms` and was answered at `now_ms`.
    pub fn record(&mut self, signal: Signal, started_at_ms: i64, now_ms: i64) {
        match signal {
            Signal::Fast if self.busy => self.grow(),
            Signal::Fast | Signal::Neutral => {}
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

    fn grow(&mut self) {
        if self.limit < self.threshold {
            self.limit = self.limit.saturating_add(1);
            return;
        }
        self.credit += 1;
        if self.credit >= self.limit {
            self.limit = self.limit.saturating_add(1);
            self.credit = 0;
        }
    }

    /// The window as text for the store: `<limit> <threshold> <credit> <cut at> <busy 0|1>` (the threshold `-`
    /// until the first cut).
    pub fn encode(&self) -> String {
        let threshold = if self.threshold == u32::MAX { "-".to_string() } else { self.threshold.to_string() };
        format!("{} {threshold} {} {} {}", self.limit, self.credit, self.cut_at_ms, u8::from(self.busy))
    }

    /// Reads what [`Window::encode`] wrote.
    pub fn decode(text: &str) -> Result<Window, CoreError> {
        let invalid = || CoreError::invalid("window", format!("`{text}` is not a concurrency window"));
        let words: Vec<&str> = text.split(' ').collect();
        let [limit, threshold, credit, cut_at_ms, busy] = words.as_slice() else {
            return Err(invalid());
        };
        let number = |word: &str| word.parse::<u32>().map_err(|_| invalid());
        let window = Window {
            limit: number(limit)?,
            threshold: if *threshold == "-" { u32::MAX } else { number(threshold)? },
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
        window.leased(window.limit, u32::MAX);
        window
    }

    #[test]
    fn slow_start_doubles_each_round_trip_while_the_window_is_used() {
        let mut window = Window::default();
        assert_eq!(window.limit(256), 4);
        for round in [8, 16, 32] {
            window = busy(window);
            for _ in 0..window.limit {
                window.record(Signal::Fast, 0, 0);
            }
            assert_eq!(window.limit(256), round);
        }
        assert_eq!(window.limit(20), 20, "never above the ceiling");
    }

    #[test]
    fn an_idle_window_does_not_grow() {
        let mut window = Window::default();
        window.leased(1, 256);
        for _ in 0..1_000 {
            window.record(Signal::Fast, 0, 0);
        }
        assert_eq!(window.limit(256), 4, "one attempt at a time never fills half of four");
    }

    #[test]
    fn overload_halves_once_per_burst_then_growth_is_additive() {
        let mut window = busy(Window::default());
        for _ in 0..28 {
            window.record(Signal::Fast, 0, 0);
        }
        assert_eq!(window.limit(256), 32);
        for _ in 0..32 {
            window.record(Signal::Overloaded, 100, 200);
        }
        assert_eq!(window.limit(256), 16, "32 timeouts of one burst halve it once");
        window.record(Signal::Overloaded, 250, 300);
        assert_eq!(window.limit(256), 8, "an attempt sent after the cut cuts again");
        window = busy(window);
        for _ in 0..7 {
            window.record(Signal::Fast, 400, 400);
        }
        assert_eq!(window.limit(256), 8, "above the threshold it takes a whole window of successes");
        window.record(Signal::Fast, 400, 400);
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
        for _ in 0..500 {
            big.record(Signal::Fast, 0, 0);
        }
        big.leased(0, 16);
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
        assert_eq!(Signal::of(&attempt(Some(200), None, 20)), Signal::Fast);
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
        assert_eq!(Window::default().encode(), "4 - 0 0 0");
        for bad in ["", "4", "0 - 0 0 0", "4 x 0 0 0", "4 - 0 0 2", "4 - 0 0 0 1"] {
            assert!(Window::decode(bad).is_err(), "{bad}");
        }
    }
}
