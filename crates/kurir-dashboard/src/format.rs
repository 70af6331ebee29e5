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

/// A moment as `<time>`: the exact time in the page (so a live region's HTML stays the same from one refresh to
/// the next), which the page's script shows as an age (`12 s ago`) with the exact time as its title.
pub fn when(unix_ms: i64) -> maud::Markup {
    maud::html! { time datetime=(kurir_api::time::rfc3339(unix_ms)) data-age { (time(unix_ms)) } }
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
    fn moments_carry_their_exact_time_for_the_script() {
        let html = when(1_732_350_000_123).into_string();
        assert_eq!(html, r#"<time datetime="2024-11-23T08:20:00.123Z" data-age>2024-11-23 08:20:00 UTC</time>"#);
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
