//! Charts drawn as inline SVG on the server: deliveries per interval by outcome (stacked bars) and latency
//! percentiles (lines). No script and no chart library; each chart carries a text summary for screen readers.
//! Pure: the statistics come in, markup goes out.

use kurir_core::id::EndpointId;
use kurir_core::stats::{Tally, MINUTE_MS};
use kurir_store::EndpointMinute;
use maud::{html, Markup};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 180.0;
/// Room on the left for the scale and below for the times.
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 22.0;

/// The tallies of consecutive intervals of `minutes_per_column` minutes, from `from_minute` on, `columns` of
/// them: of one endpoint, or of all when `endpoint` is `None`.
pub fn columns(
    stats: &[EndpointMinute],
    endpoint: Option<&EndpointId>,
    from_minute: i64,
    minutes_per_column: i64,
    columns: usize,
) -> Vec<Tally> {
    let mut out = vec![Tally::default(); columns];
    let per = minutes_per_column.max(1);
    for row in stats.iter().filter(|row| endpoint.is_none_or(|e| *e == row.endpoint_id)) {
        let index = (row.minute - from_minute).div_euclid(per);
        if let Some(column) = usize::try_from(index).ok().and_then(|i| out.get_mut(i)) {
            column.merge(&row.tally);
        }
    }
    out
}

/// The first minute of the last `minutes` minutes up to `now_ms`, the current minute included.
pub fn since_minute(now_ms: i64, minutes: i64) -> i64 {
    kurir_core::stats::minute_of(now_ms) - minutes + 1
}

/// Every tally of one endpoint (or all) merged: the health over the whole span.
pub fn total(stats: &[EndpointMinute], endpoint: Option<&EndpointId>, since_minute: i64) -> Tally {
    let mut total = Tally::default();
    for row in stats.iter().filter(|r| r.minute >= since_minute && endpoint.is_none_or(|e| *e == r.endpoint_id)) {
        total.merge(&row.tally);
    }
    total
}

/// A scale's top: the smallest "nice" number (1, 2 or 5 times a power of ten) at or above `max`.
pub fn nice_ceiling(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|step| step * magnitude).find(|top| *top >= max).unwrap_or(10.0 * magnitude)
}

fn time_label(unix_ms: i64) -> String {
    kurir_api::time::rfc3339(unix_ms).get(11..16).unwrap_or_default().to_owned()
}

/// The frame of a chart: the scale's top and the times under the first, middle and last column.
fn frame(top: f64, unit: &str, start_ms: i64, column_ms: i64, count: usize) -> Markup {
    let plot_bottom = HEIGHT - BOTTOM;
    let x_of = |i: usize| LEFT + (WIDTH - LEFT) * i as f64 / count.max(1) as f64;
    let last = count.saturating_sub(1);
    let ticks = [(0, "start"), (count / 2, "middle"), (last, "end")];
    html! {
        line.axis x1=(LEFT) y1=(plot_bottom) x2=(WIDTH) y2=(plot_bottom) {}
        line.grid x1=(LEFT) y1="4" x2=(WIDTH) y2="4" {}
        text.scale x=(LEFT - 4.0) y="12" text-anchor="end" { (format_number(top)) }
        text.scale x=(LEFT - 4.0) y=(plot_bottom) text-anchor="end" { "0" }
        text.scale x="2" y=(HEIGHT / 2.0) { (unit) }
        // Each label is the time at its place on the axis: the right edge is the end of the last column.
        @for (i, anchor) in ticks {
            @let (x, at) = if i == last { (WIDTH, count as i64) } else { (x_of(i), i as i64) };
            text.scale x=(x) y=(HEIGHT - 6.0) text-anchor=(anchor) { (time_label(start_ms + column_ms * at)) }
        }
    }
}

fn format_number(n: f64) -> String {
    if n >= 1_000_000.0 {
        format!("{}M", n / 1_000_000.0)
    } else if n >= 1_000.0 {
        format!("{}k", n / 1_000.0)
    } else {
        format!("{n}")
    }
}

/// Deliveries per column, succeeded under failed, stacked.
pub fn outcome_bars(title: &str, tallies: &[Tally], start_ms: i64, minutes_per_column: i64) -> Markup {
    let succeeded: u64 = tallies.iter().map(|t| t.succeeded).sum();
    let failed: u64 = tallies.iter().map(|t| t.failed).sum();
    let top = nice_ceiling(tallies.iter().map(|t| t.total()).max().unwrap_or(0) as f64);
    let plot_height = HEIGHT - BOTTOM - 4.0;
    let slot = (WIDTH - LEFT) / tallies.len().max(1) as f64;
    let bar = (slot * 0.8).max(1.0);
    let summary = format!("{title}: {succeeded} succeeded and {failed} failed attempts");
    html! {
        figure.chart {
            figcaption { (title) " " span.legend { span.key.ok { "■" } " succeeded " span.key.bad { "■" } " failed" } }
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(summary) preserveAspectRatio="none" {
                title { (summary) }
                (frame(top, "per interval", start_ms, minutes_per_column * MINUTE_MS, tallies.len()))
                @for (i, tally) in tallies.iter().enumerate() {
                    @let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
                    @let ok_h = plot_height * tally.succeeded as f64 / top;
                    @let bad_h = plot_height * tally.failed as f64 / top;
                    @let base = HEIGHT - BOTTOM;
                    @if tally.succeeded > 0 { rect.bar-ok x=(x) y=(base - ok_h) width=(bar) height=(ok_h) {} }
                    @if tally.failed > 0 { rect.bar-bad x=(x) y=(base - ok_h - bad_h) width=(bar) height=(bad_h) {} }
                }
            }
        }
    }
}

/// Latency percentiles per column (p50, p95, p99), as lines; a column without attempts leaves a gap.
pub fn latency_lines(title: &str, tallies: &[Tally], start_ms: i64, minutes_per_column: i64) -> Markup {
    let quantiles = [(0.5, "p50", "line-p50"), (0.95, "p95", "line-p95"), (0.99, "p99", "line-p99")];
    // The histogram's last bucket is open-ended; it is drawn at the last bound's height.
    let value = |t: &Tally, q: f64| t.latency_quantile(q).map(|ms| f64::from(ms.min(10_000)));
    let top = nice_ceiling(tallies.iter().filter_map(|t| value(t, 0.99)).fold(0.0, f64::max));
    let plot_height = HEIGHT - BOTTOM - 4.0;
    let slot = (WIDTH - LEFT) / tallies.len().max(1) as f64;
    let overall = tallies.iter().fold(Tally::default(), |mut all, t| {
        all.merge(t);
        all
    });
    let summary = match (overall.latency_quantile(0.5), overall.latency_quantile(0.99)) {
        (Some(p50), Some(p99)) => format!("{title}: p50 at most {p50} ms, p99 at most {} ms", bound_text(p99)),
        _ => format!("{title}: no attempts"),
    };
    html! {
        figure.chart {
            figcaption { (title) " " span.legend {
                @for (_, label, class) in quantiles { span.key class=(class) { "━" } " " (label) " " }
            } }
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(summary) preserveAspectRatio="none" {
                title { (summary) }
                (frame(top, "ms", start_ms, minutes_per_column * MINUTE_MS, tallies.len()))
                @for (q, _, class) in quantiles {
                    @let points = tallies.iter().enumerate().filter_map(|(i, t)| {
                        value(t, q).map(|ms| (LEFT + slot * (i as f64 + 0.5), HEIGHT - BOTTOM - plot_height * ms / top))
                    }).collect::<Vec<_>>();
                    @if !points.is_empty() {
                        @let line = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ");
                        polyline class=(class) fill="none" points=(line) {}
                        // A dot per point, so a lone interval shows too.
                        @for (x, y) in &points { circle class=(class) cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="2.5" {} }
                    }
                }
            }
        }
    }
}

/// A histogram bound as text: beyond the last bound is "over 10000".
pub fn bound_text(ms: u32) -> String {
    if ms == u32::MAX {
        "over 10000".to_owned()
    } else {
        ms.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(endpoint: &EndpointId, minute: i64, ok: u64, failed: u64) -> EndpointMinute {
        let tally = Tally { succeeded: ok, failed, ..Tally::default() };
        EndpointMinute { endpoint_id: endpoint.clone(), minute, tally }
    }

    #[test]
    fn minutes_fall_into_their_column_and_outside_ones_are_dropped() {
        let a = EndpointId::generate(1, 1);
        let b = EndpointId::generate(1, 2);
        let stats =
            vec![row(&a, 99, 9, 9), row(&a, 100, 1, 0), row(&b, 101, 2, 1), row(&a, 105, 4, 0), row(&a, 106, 5, 0)];
        let all = columns(&stats, None, 100, 3, 2);
        assert_eq!(all.iter().map(|t| (t.succeeded, t.failed)).collect::<Vec<_>>(), vec![(3, 1), (4, 0)]);
        let only_a = columns(&stats, Some(&a), 100, 3, 2);
        assert_eq!(only_a.iter().map(|t| t.succeeded).collect::<Vec<_>>(), vec![1, 4]);
        assert_eq!(total(&stats, Some(&b), 0).failed, 1);
    }

    #[test]
    fn scales_end_on_a_round_number() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(120.0), 200.0);
        assert_eq!(nice_ceiling(500.0), 500.0);
    }

    #[test]
    fn charts_say_what_they_show_in_words() {
        let tallies = vec![Tally { succeeded: 3, failed: 1, ..Tally::default() }, Tally::default()];
        let bars = outcome_bars("Deliveries", &tallies, 0, 1).into_string();
        assert!(bars.contains("aria-label=\"Deliveries: 3 succeeded and 1 failed attempts\""));
        assert_eq!(bars.matches("<rect").count(), 2, "one bar part per non-zero count");
        let mut timed = Tally::default();
        timed.add(true, 3);
        let lines = latency_lines("Latency", &[timed, Tally::default()], 0, 1).into_string();
        assert!(lines.contains("p50 at most 5 ms, p99 at most 5 ms"));
        assert_eq!(lines.matches("<polyline").count(), 3);
        assert_eq!(bound_text(u32::MAX), "over 10000");
    }
}
