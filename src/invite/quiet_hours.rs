//! Quiet hours: a re-invite is a service message, but a text at midnight is still a complaint
//! risk . The recipient's local time comes from the number's country; the
//! confirm screen warns outside 09:00-20:00 there. Countries spanning several time zones use
//! their most populous one, and say so.

use chrono::{DateTime, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;

/// The window in which sending raises no warning, recipient local time.
pub const QUIET_START: u32 = 20;
pub const QUIET_END: u32 = 9;

/// The time zone used for a country, and whether the country has several.
pub fn zone_of(region: &str) -> Option<(Tz, bool)> {
    use chrono_tz::America as Am;
    use chrono_tz::Asia as As;
    use chrono_tz::Australia as Au;
    use chrono_tz::Europe as Eu;
    let z = match region.to_ascii_uppercase().as_str() {
        "NL" => (Eu::Amsterdam, false),
        "BE" => (Eu::Brussels, false),
        "DE" => (Eu::Berlin, false),
        "FR" => (Eu::Paris, false),
        "LU" => (Eu::Luxembourg, false),
        "GB" | "UK" => (Eu::London, false),
        "IE" => (Eu::Dublin, false),
        "ES" => (Eu::Madrid, true),
        "PT" => (Eu::Lisbon, true),
        "IT" => (Eu::Rome, false),
        "AT" => (Eu::Vienna, false),
        "CH" => (Eu::Zurich, false),
        "DK" => (Eu::Copenhagen, false),
        "SE" => (Eu::Stockholm, false),
        "NO" => (Eu::Oslo, false),
        "FI" => (Eu::Helsinki, false),
        "PL" => (Eu::Warsaw, false),
        "CZ" => (Eu::Prague, false),
        "GR" => (Eu::Athens, false),
        "TR" => (Eu::Istanbul, false),
        "US" => (Am::New_York, true),
        "CA" => (Am::Toronto, true),
        "MX" => (Am::Mexico_City, true),
        "BR" => (Am::Sao_Paulo, true),
        "AU" => (Au::Sydney, true),
        "IN" => (As::Kolkata, false),
        "AE" => (As::Dubai, false),
        "ZA" => (chrono_tz::Africa::Johannesburg, false),
        _ => return None,
    };
    Some(z)
}

/// A warning when `now` is outside the calm window for recipients in `region`.
pub fn warning(region: &str, now: DateTime<Utc>) -> Option<String> {
    let (tz, several) = zone_of(region)?;
    let local = now.with_timezone(&tz);
    let hour = local.hour();
    if (QUIET_END..QUIET_START).contains(&hour) {
        return None;
    }
    let t = NaiveTime::from_hms_opt(hour, local.minute(), 0)
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_default();
    let zone_note = if several {
        format!(" ({} time; the country has several zones)", tz.name())
    } else {
        String::new()
    };
    Some(format!(
        "it is {t} for recipients in {region}{zone_note}: outside {QUIET_END:02}:00-{QUIET_START:02}:00, consider sending later"
    ))
}

/// The warnings for every destination country, in their order.
pub fn warnings(regions: &[String], now: DateTime<Utc>) -> Vec<String> {
    regions.iter().filter_map(|r| warning(r, now)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn warns_at_night_local_time_only() {
        // 22:30 UTC in winter is 23:30 in Amsterdam.
        assert!(
            warning("NL", at("2026-01-10T22:30:00Z"))
                .unwrap()
                .contains("23:30")
        );
        assert!(warning("NL", at("2026-01-10T12:00:00Z")).is_none());
        // 06:30 UTC in summer is 08:30 in Amsterdam: still too early.
        assert!(warning("NL", at("2026-07-10T06:30:00Z")).is_some());
        assert!(warning("NL", at("2026-07-10T07:30:00Z")).is_none());
        let us = warning("US", at("2026-01-10T03:00:00Z")).unwrap();
        assert!(us.contains("several zones"));
        assert_eq!(warning("ZZ", at("2026-01-10T03:00:00Z")), None);
    }
}
