//! Values as the dashboard shows them: times, ages, states. Pure.

use kurir_core::delivery::DeliveryState;

/// `2026-11-24 08:20:00 UTC`: exact, sortable, and unambiguous wherever the reader is.
pub fn time(unix_ms: i64) -> String {
    let text = kurir_api::time::rfc3339(unix_ms);
    match (text.get(..10), text.get(11..19)) {
        (Some(date), Some(clock)) => format!("{date} {clock} UTC"),
        _ => text,
    }
}

/// How long ago `then_ms` was, in the largest whole unit: `12 s ago`, `3 min ago`, `5 h ago`, `2 d ago`.
pub fn age(then_ms: i64, now_ms: i64) -> String {
    let secs = (now_ms - then_ms).max(0) / 1000;
    match secs {
        0..=59 => format!("{secs} s ago"),
        60..=3_599 => format!("{} min ago", secs / 60),
        3_600..=86_399 => format!("{} h ago", secs / 3_600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// The style class of a delivery state: green done, amber waiting, red dead.
pub fn state_class(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Succeeded => "ok",
        DeliveryState::Pending | DeliveryState::InFlight | DeliveryState::Retrying => "warn",
        DeliveryState::Dead => "bad",
    }
}

/// The style class of an HTTP status an attempt got.
pub fn status_class(status: Option<u16>) -> &'static str {
    match status {
        Some(200..=299) => "ok",
        Some(_) | None => "bad",
    }
}

/// A `datetime-local` input's value (`2026-11-24T08:20`, read as UTC) as Unix milliseconds.
pub fn parse_local_time(text: &str) -> Option<i64> {
    let with_seconds = if text.len() == 16 { format!("{text}:00Z") } else { format!("{text}Z") };
    kurir_api::time::parse_rfc3339("time", &with_seconds).ok()
}

/// Unix milliseconds as a `datetime-local` input's value, in UTC.
pub fn local_time_value(unix_ms: i64) -> String {
    kurir_api::time::rfc3339(unix_ms).get(..16).unwrap_or_default().to_owned()
}

/// A JSON text indented for reading; the text itself when it is not JSON.
pub fn pretty_json(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_utc() {
        assert_eq!(time(1_732_350_000_123), "2024-11-23 08:20:00 UTC");
    }

    #[test]
    fn ages_use_the_largest_whole_unit() {
        assert_eq!(age(0, 59_999), "59 s ago");
        assert_eq!(age(0, 60_000), "1 min ago");
        assert_eq!(age(0, 3 * 3_600_000 + 5), "3 h ago");
        assert_eq!(age(0, 2 * 86_400_000), "2 d ago");
        assert_eq!(age(10, 0), "0 s ago", "a clock a little behind is not a negative age");
    }

    #[test]
    fn local_times_round_trip_in_utc() {
        let ms = parse_local_time("2024-11-23T08:20").unwrap_or_default();
        assert_eq!(ms, 1_732_350_000_000);
        assert_eq!(local_time_value(ms), "2024-11-23T08:20");
        assert_eq!(parse_local_time("2024-11-23T08:20:30"), Some(1_732_350_030_000));
        assert_eq!(parse_local_time("yesterday"), None);
    }

    #[test]
    fn json_is_indented_and_anything_else_kept() {
        assert_eq!(pretty_json(r#"{"a":1}"#), "{\n  \"a\": 1\n}");
        assert_eq!(pretty_json("not json"), "not json");
    }
}
