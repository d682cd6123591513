//! Quantities written in rule files and the config: byte sizes (`35MiB`, `10 MB`,
//! `5000`) and durations (`30min`, `90s`, `1h`).

/// Why a quantity could not be read; said at the value's place in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UnitError {
    #[error("unknown size unit `{0}` (use B, kB, KiB, MB, MiB, GB or GiB)")]
    SizeUnit(String),
    #[error("`{0}` needs a unit: s, min or h (for example `30min`)")]
    DurationUnit(String),
    #[error("`{0}` is not a whole number with an optional unit")]
    NotANumber(String),
    #[error("`{0}` is too large")]
    TooLarge(String),
}

/// Bytes, from an integer with an optional unit. Decimal units (kB, MB, GB) are
/// powers of 1000, binary ones (KiB, MiB, GiB) powers of 1024.
pub(crate) fn parse_size(text: &str) -> Result<u64, UnitError> {
    let (number, unit) = split_number(text)?;
    let factor: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "kib" => 1 << 10,
        "mb" => 1000 * 1000,
        "mib" => 1 << 20,
        "gb" => 1000 * 1000 * 1000,
        "gib" => 1 << 30,
        _ => {
            return Err(UnitError::SizeUnit(unit.to_owned()));
        }
    };
    number.checked_mul(factor).ok_or_else(|| UnitError::TooLarge(text.to_owned()))
}

/// Seconds, from an integer with a unit: s, m or min, h.
pub(crate) fn parse_duration(text: &str) -> Result<i64, UnitError> {
    let (number, unit) = split_number(text)?;
    let factor = match unit {
        "s" | "sec" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        _ => return Err(UnitError::DurationUnit(text.to_owned())),
    };
    i64::try_from(number).ok().and_then(|n| n.checked_mul(factor)).ok_or_else(|| UnitError::TooLarge(text.to_owned()))
}

fn split_number(text: &str) -> Result<(u64, &str), UnitError> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(UnitError::NotANumber(text.to_owned()));
    }
    let number = text[..digits].parse().map_err(|_| UnitError::TooLarge(text.to_owned()))?;
    Ok((number, text[digits..].trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("35MiB"), Ok(36_700_160));
        assert_eq!(parse_size("10 MB"), Ok(10_000_000));
        assert_eq!(parse_size("5000"), Ok(5000));
        assert!(parse_size("5 parsecs").is_err());
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("99999999999GiB").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30min"), Ok(1800));
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("1h"), Ok(3600));
        assert!(parse_duration("30").is_err());
    }
}
