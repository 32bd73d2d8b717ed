//! Date formatting for payloads (`2025-03-14T09:26:53+0000`, ISO `…000Z`) without a date crate.

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (y, u32::try_from(m).unwrap_or(1), u32::try_from(d).unwrap_or(1))
}

fn parts(ms: i64, offset_minutes: i32) -> (i64, u32, u32, i64, i64, i64, i64) {
    let local = ms + i64::from(offset_minutes) * 60_000;
    let days = local.div_euclid(86_400_000);
    let rem = local.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000)
}

/// `2025-03-14T09:26:53+0100`: the webhook `date` format (offset without a colon).
pub fn webhook_date(ms: i64, offset_minutes: i32) -> String {
    let (y, mo, d, h, mi, s, _) = parts(ms, offset_minutes);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.unsigned_abs();
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{sign}{:02}{:02}", off / 60, off % 60)
}

/// `2025-11-03T08:15:42.000Z`: DC 10.3 ISO timestamps.
pub fn iso_utc(ms: i64) -> String {
    let (y, mo, d, h, mi, s, milli) = parts(ms, 0);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        // 2025-03-14T08:26:53Z
        let ms = 1_741_940_813_000;
        assert_eq!(webhook_date(ms, 0), "2025-03-14T08:26:53+0000");
        assert_eq!(webhook_date(ms, 60), "2025-03-14T09:26:53+0100");
        assert_eq!(iso_utc(ms + 5), "2025-03-14T08:26:53.005Z");
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00.000Z");
    }
}
