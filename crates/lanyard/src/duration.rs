//! Human durations: `90d`, `12h`, `30m`, `45s`, `500ms`.

/// Parses a duration; `off`, `never`, `0` and `none` mean "no duration".
pub fn parse(text: &str) -> Result<Option<chrono::Duration>, String> {
    let t = text.trim();
    if matches!(t, "off" | "never" | "none" | "0") {
        return Ok(None);
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: i64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (try 90d, 12h, 30m, 45s)"))?;
    let d = match unit {
        "ms" => chrono::Duration::milliseconds(n),
        "s" | "" => chrono::Duration::seconds(n),
        "m" => chrono::Duration::minutes(n),
        "h" => chrono::Duration::hours(n),
        "d" => chrono::Duration::days(n),
        _ => {
            return Err(format!(
                "{text:?}: unknown unit {unit:?} (use ms, s, m, h or d)"
            ));
        }
    };
    Ok(Some(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_off() {
        assert_eq!(parse("90d").unwrap(), Some(chrono::Duration::days(90)));
        assert_eq!(parse("2s").unwrap(), Some(chrono::Duration::seconds(2)));
        assert_eq!(
            parse("250ms").unwrap(),
            Some(chrono::Duration::milliseconds(250))
        );
        assert_eq!(parse("off").unwrap(), None);
        assert!(parse("3w").is_err());
        assert!(parse("d").is_err());
    }
}
