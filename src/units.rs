//! Quantities written in rule files: byte sizes (`35MiB`, `10 MB`, `5000`) and
//! durations (`30min`, `90s`, `1h`).

/// Bytes, from an integer with an optional unit. Decimal units (kB, MB, GB) are
/// powers of 1000, binary ones (KiB, MiB, GiB) powers of 1024.
pub fn parse_size(text: &str) -> Result<u64, String> {
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
            return Err(format!("unknown size unit `{unit}` (use B, kB, KiB, MB, MiB, GB or GiB)"));
        }
    };
    number.checked_mul(factor).ok_or_else(|| format!("`{text}` is too large"))
}

/// Seconds, from an integer with a unit: s, m or min, h.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let (number, unit) = split_number(text)?;
    let factor = match unit {
        "s" | "sec" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        _ => return Err(format!("`{text}` needs a unit: s, min or h (for example `30min`)")),
    };
    i64::try_from(number).ok().and_then(|n| n.checked_mul(factor)).ok_or_else(|| format!("`{text}` is too large"))
}

fn split_number(text: &str) -> Result<(u64, &str), String> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(format!("`{text}` is not a whole number with an optional unit"));
    }
    let number = text[..digits].parse().map_err(|_| format!("`{text}` is too large"))?;
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
