//! HdrHistogram interval logs (`.hlog`): the format of the Java `HistogramLogWriter` (log format
//! 1.3: a version comment, `StartTime`/`BaseTime` headers, the CSV legend, then one line per
//! interval with a base64 V2-deflate histogram), which `HistogramLogProcessor`, HdrHistogram's
//! plotters and this crate's reader all read. Values are microseconds; the `Interval_Max` column
//! is in milliseconds (`MaxValueDivisor` 1000), as jHiccup writes it.
//!
//! Reading keeps every interval at 3 significant digits, the precision of every figure this
//! tool reports: an interval written at more (say 5, as other tools may) is re-bucketed as it
//! is read, since one decoded 5-digit histogram of a minute's range holds about 10 MiB of
//! counts and a long log would otherwise keep one per interval. Counts stay exact.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::alphabet::STANDARD;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry,
};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

use crate::measure::Intervals;

/// Standard base64, as the interval log uses; padding optional and trailing bits ignored, so
/// logs from writers that drop the `=` still read.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The legend line every Java-written log carries after its headers.
const LEGEND: &str =
    "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n";

/// One interval read back from a log.
#[derive(Clone, Debug)]
pub struct LoggedInterval {
    /// Start, seconds since the Unix epoch (`BaseTime` + the line's timestamp).
    pub start_epoch_secs: f64,
    /// Length in seconds.
    pub length_secs: f64,
    /// The histogram (microseconds).
    pub histogram: Histogram<u64>,
}

/// A parsed interval log.
#[derive(Clone, Debug, Default)]
pub struct IntervalLog {
    /// `StartTime` header, seconds since the epoch.
    pub start_time: Option<f64>,
    /// Every interval, in file order.
    pub intervals: Vec<LoggedInterval>,
    /// The most significant digits an interval was written with, when beyond 3: those
    /// intervals were re-bucketed to 3 as they were read ([`READ_DIGITS`]).
    pub rebucketed_from_digits: Option<u8>,
}

/// Significant digits every interval is kept at once read.
pub const READ_DIGITS: u8 = 3;

impl IntervalLog {
    /// All intervals added into one histogram (an exact sum: same counts per bucket).
    pub fn total(&self) -> Histogram<u64> {
        let mut total = auto_histogram();
        for i in &self.intervals {
            let _ = total.add(&i.histogram);
        }
        total
    }
}

/// A three-significant-digit, auto-resizing histogram.
pub fn auto_histogram() -> Histogram<u64> {
    let mut h = Histogram::new(3).unwrap_or_else(|_| unreachable!("hdrhistogram accepts sigfig 3"));
    h.auto(true);
    h
}

/// A problem reading or writing an interval log.
#[derive(Debug, thiserror::Error)]
pub enum HdrLogError {
    /// The log text is not an interval log, or is out of bounds (`path` is `file:line` when
    /// the problem has a line).
    #[error("{path}: not a usable HdrHistogram interval log: {what}")]
    Parse {
        /// The file.
        path: String,
        /// What was wrong.
        what: String,
    },
    /// A histogram failed to encode.
    #[error("encoding a histogram: {0}")]
    Encode(String),
}

fn epoch_secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Renders `slices` as log text: accepted-handshake latency, or, when nothing was accepted
/// (a reject case), the time to the server's rejection. `base` is the wall-clock time of slice
/// 0's start, `comment` a first line (e.g. the case name); empty slices are written too (an
/// empty histogram), so a consumer sees the gap.
///
/// # Errors
/// When a histogram cannot be encoded.
pub fn render(slices: &Intervals, base: SystemTime, comment: &str) -> Result<Vec<u8>, HdrLogError> {
    let rejections = !slices.any_accepted();
    let entries: Vec<(f64, f64, &Histogram<u64>)> = slices
        .slices
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let w = slices.width.as_secs_f64();
            (
                i as f64 * w,
                w,
                if rejections { &s.rejection } else { &s.latency },
            )
        })
        .collect();
    let what = if rejections {
        "time to the server's rejection"
    } else {
        "accepted-handshake latency"
    };
    render_entries(&entries, epoch_secs(base), &format!("{comment}: {what}"))
}

/// Renders `(offset_secs, length_secs, histogram)` entries relative to `base_epoch_secs`.
///
/// # Errors
/// When a histogram cannot be encoded.
pub fn render_entries(
    entries: &[(f64, f64, &Histogram<u64>)],
    base_epoch_secs: f64,
    comment: &str,
) -> Result<Vec<u8>, HdrLogError> {
    let base = UNIX_EPOCH + Duration::from_secs_f64(base_epoch_secs.max(0.0));
    let mut out = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    {
        let mut builder = IntervalLogWriterBuilder::new();
        builder
            .add_comment("[Logged with mtls-harness]")
            .add_comment(&format!("[{}]", comment.replace('\n', " ")))
            .add_comment("[Histogram log format version 1.3]")
            .add_comment("[Values are microseconds]")
            .with_start_time(base)
            .with_base_time(base)
            .with_max_value_divisor(1000.0);
        builder
            .begin_log_with(&mut out, &mut serializer)
            .map_err(|e| HdrLogError::Encode(e.to_string()))?;
    }
    out.extend_from_slice(LEGEND.as_bytes());
    let mut writer = IntervalLogWriterBuilder::new()
        .with_max_value_divisor(1000.0)
        .begin_log_with(&mut out, &mut serializer)
        .map_err(|e| HdrLogError::Encode(e.to_string()))?;
    for (offset, length, h) in entries {
        writer
            .write_histogram(
                *h,
                Duration::from_secs_f64(offset.max(0.0)),
                Duration::from_secs_f64(length.max(0.0)),
                None,
            )
            .map_err(|e| HdrLogError::Encode(e.to_string()))?;
    }
    // The crate's writer cannot emit the CSV legend line, so the headers come from one writer
    // and the intervals from a second one (with the same divisor for the Interval_Max column);
    // the second writer repeats the MaxValueDivisor comment, which is dropped here.
    let text = String::from_utf8_lossy(&out).into_owned();
    let mut seen = false;
    let cleaned: String = text
        .split_inclusive('\n')
        .filter(|line| {
            if line.starts_with("#[MaxValueDivisor") {
                let keep = !seen;
                seen = true;
                keep
            } else {
                true
            }
        })
        .collect();
    Ok(cleaned.into_bytes())
}

/// Latest time a log may name, seconds since the epoch (2^32 s, early 2106): a `StartTime`,
/// `BaseTime` or interval start beyond it is refused (it would overflow the merge grid).
pub const MAX_EPOCH_SECS: f64 = 4_294_967_296.0;

/// Longest interval a log may carry (the longest duration a scenario may ask for, 24 h).
pub const MAX_INTERVAL_SECS: f64 = 24.0 * 3600.0;

/// Most steps of its shortest interval one log may span (first start to last start): a log
/// spanning more is refused, as a grid that fine over that span cannot be held in memory.
pub const MAX_LOG_STEPS: f64 = 1_000_000.0;

/// Parses log text (`path` names it in errors). Intervals carrying a tag are skipped (this
/// harness writes none; other tools use tags for secondary series). Each line is read on its
/// own, so an error names its line; times and spans are bounded ([`MAX_EPOCH_SECS`],
/// [`MAX_INTERVAL_SECS`], [`MAX_LOG_STEPS`]).
///
/// # Errors
/// When the text is not an interval log, a histogram does not decode, or a time or span is
/// out of bounds.
pub fn parse(text: &[u8], path: &Path) -> Result<IntervalLog, HdrLogError> {
    let bad_at = |line: usize, what: String| HdrLogError::Parse {
        path: format!("{}:{line}", path.display()),
        what,
    };
    let mut log = IntervalLog::default();
    let mut lines = Vec::new();
    let mut base = 0.0;
    let mut deserializer = Deserializer::new();
    for (index, line_text) in text.split_inclusive(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        let bad = |what: String| bad_at(line, what);
        let epoch = |what: &str, secs: f64| {
            if secs.is_finite() && (0.0..=MAX_EPOCH_SECS).contains(&secs) {
                Ok(secs)
            } else {
                Err(bad(format!(
                    "{what} {secs:.3} s since the epoch is beyond the limit of {MAX_EPOCH_SECS:.0} (early 2106)"
                )))
            }
        };
        for entry in IntervalLogIterator::new(line_text) {
            match entry.map_err(|_| bad("not a header, comment or interval line".into()))? {
                LogEntry::StartTime(t) => {
                    log.start_time = Some(epoch("StartTime", t.as_secs_f64())?);
                }
                LogEntry::BaseTime(t) => base = epoch("BaseTime", t.as_secs_f64())?,
                LogEntry::Interval(i) => {
                    if i.tag().is_some() {
                        continue;
                    }
                    let start = epoch("interval start", base + i.start_timestamp().as_secs_f64())?;
                    let length_secs = i.duration().as_secs_f64();
                    if length_secs > MAX_INTERVAL_SECS {
                        return Err(bad(format!(
                            "interval length {length_secs:.3} s is beyond the limit of {MAX_INTERVAL_SECS:.0} s"
                        )));
                    }
                    let bytes = BASE64
                        .decode(i.encoded_histogram().trim())
                        .map_err(|_| bad("an interval's histogram is not base64".into()))?;
                    check_declared_length(&bytes).map_err(bad)?;
                    let mut h: Histogram<u64> = deserializer
                        .deserialize(&mut bytes.as_slice())
                        .map_err(|e| {
                            bad(format!("an interval's histogram does not decode: {e:?}"))
                        })?;
                    let h = if h.sigfig() > READ_DIGITS {
                        log.rebucketed_from_digits =
                            log.rebucketed_from_digits.max(Some(h.sigfig()));
                        let mut kept = auto_histogram();
                        kept.add(&h).map_err(|e| {
                            bad(format!(
                                "an interval's histogram cannot be re-bucketed: {e:?}"
                            ))
                        })?;
                        kept
                    } else {
                        h.auto(true);
                        h
                    };
                    log.intervals.push(LoggedInterval {
                        start_epoch_secs: start,
                        length_secs,
                        histogram: h,
                    });
                    lines.push(line);
                }
            }
        }
    }
    if log.intervals.is_empty() && log.start_time.is_none() {
        return Err(HdrLogError::Parse {
            path: path.display().to_string(),
            what: "no StartTime header and no interval".into(),
        });
    }
    check_span(&log, &lines).map_err(|(line, what)| bad_at(line, what))?;
    Ok(log)
}

/// The most bytes a deflated interval histogram may inflate to (a 3-digit histogram of any
/// range encodes in well under 1 MiB).
const MAX_INFLATED: u64 = 16 * 1024 * 1024;

/// A V2 histogram declares its payload length before it (a u32), and the decoder allocates
/// that much before reading: a length beyond the bytes present is refused here, so a 60-byte
/// line cannot ask for 4 GiB. A deflated histogram is inflated first (at most
/// [`MAX_INFLATED`] bytes) and the same rule applies to what it holds.
fn check_declared_length(bytes: &[u8]) -> Result<(), String> {
    const V2_COOKIE: [u8; 4] = [0x1c, 0x84, 0x93, 0x13];
    const V2_COMPRESSED_COOKIE: [u8; 4] = [0x1c, 0x84, 0x93, 0x14];
    const V2_HEADER: usize = 40;
    let declared = |b: &[u8]| {
        b.get(4..8)
            .map(|len| u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize)
    };
    match bytes.get(..4) {
        Some(cookie) if cookie == V2_COOKIE => {
            if let Some(declared) = declared(bytes) {
                let present = bytes.len().saturating_sub(V2_HEADER);
                if declared > present {
                    return Err(format!(
                        "an interval's histogram declares {declared} payload bytes but carries {present}"
                    ));
                }
            }
        }
        Some(cookie) if cookie == V2_COMPRESSED_COOKIE => {
            use std::io::Read;
            let mut inflated = Vec::new();
            flate2::read::ZlibDecoder::new(bytes.get(8..).unwrap_or_default())
                .take(MAX_INFLATED + 1)
                .read_to_end(&mut inflated)
                .map_err(|e| format!("an interval's compressed histogram does not inflate: {e}"))?;
            if inflated.len() as u64 > MAX_INFLATED {
                return Err(format!(
                    "an interval's compressed histogram inflates beyond {MAX_INFLATED} bytes"
                ));
            }
            // What it holds must be a plain V2 histogram (the decoder refuses anything else).
            if inflated.get(..4) == Some(&V2_COOKIE[..]) {
                return check_declared_length(&inflated);
            }
        }
        _ => {}
    }
    Ok(())
}

/// The span rule: no interval starts more than [`MAX_LOG_STEPS`] shortest intervals after
/// the earliest. The error is the line of the first interval beyond, and why.
fn check_span(log: &IntervalLog, lines: &[usize]) -> Result<(), (usize, String)> {
    let first = log
        .intervals
        .iter()
        .map(|i| i.start_epoch_secs)
        .fold(f64::INFINITY, f64::min);
    let width = log
        .intervals
        .iter()
        .map(|i| i.length_secs)
        .filter(|w| *w > 0.0)
        .fold(f64::INFINITY, f64::min);
    if !first.is_finite() || !width.is_finite() {
        return Ok(());
    }
    for (i, line) in log.intervals.iter().zip(lines) {
        let steps = (i.start_epoch_secs - first) / width;
        if steps > MAX_LOG_STEPS {
            return Err((
                *line,
                format!(
                    "this interval starts {:.3} s after the log's first, {steps:.0} of its shortest interval ({width:.3} s); at most {MAX_LOG_STEPS:.0} are allowed",
                    i.start_epoch_secs - first
                ),
            ));
        }
    }
    Ok(())
}

/// Reads and parses a log file (at most [`MAX_LOG_BYTES`]).
///
/// # Errors
/// When the file cannot be read, is too large, or cannot be parsed.
pub fn read(path: &Path) -> Result<IntervalLog, HdrLogError> {
    use std::io::Read;
    let failed = |what: String| HdrLogError::Parse {
        path: path.display().to_string(),
        what,
    };
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_LOG_BYTES + 1).read_to_end(&mut text))
        .map_err(|e| failed(e.to_string()))?;
    if text.len() as u64 > MAX_LOG_BYTES {
        return Err(failed(format!(
            "larger than the limit of {MAX_LOG_BYTES} bytes"
        )));
    }
    parse(&text, path)
}

/// Largest interval log [`read`] reads (256 MiB: a day of 10 ms intervals).
pub const MAX_LOG_BYTES: u64 = 256 << 20;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn round_trip_keeps_every_count() {
        let t0 = Instant::now();
        let mut iv = Intervals::starting(t0, Duration::from_millis(500));
        for i in 0..1000u64 {
            iv.record_accepted(t0 + Duration::from_millis(i), 100 + i * 7);
        }
        let base = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let text = render(&iv, base, "case x").unwrap();
        let s = String::from_utf8(text.clone()).unwrap();
        assert!(s.contains("#[Histogram log format version 1.3]"), "{s}");
        assert!(s.contains("#[StartTime: 1800000000.000"), "{s}");
        assert!(s.contains(LEGEND), "{s}");
        assert_eq!(s.matches("#[MaxValueDivisor").count(), 1, "{s}");
        let log = parse(&text, Path::new("x.hlog")).unwrap();
        assert_eq!(log.intervals.len(), 2);
        assert!((log.intervals[1].start_epoch_secs - 1_800_000_000.5).abs() < 1e-3);
        let mut expected = auto_histogram();
        for s in &iv.slices {
            expected.add(&s.latency).unwrap();
        }
        assert_eq!(log.total(), expected);
        assert_eq!(log.total().len(), 1000);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse(b"hello\n", Path::new("g.hlog")).is_err());
        assert!(parse(b"0.000,1.000,1.0,!!!notbase64\n", Path::new("g.hlog")).is_err());
    }

    /// A log of one-millisecond intervals at `offsets` (seconds after the base).
    fn log_at(offsets: &[f64]) -> String {
        let mut h = auto_histogram();
        h.record(1500).unwrap();
        let entries: Vec<(f64, f64, &Histogram<u64>)> =
            offsets.iter().map(|o| (*o, 0.001, &h)).collect();
        String::from_utf8(render_entries(&entries, 1_800_000_000.0, "t").unwrap()).unwrap()
    }

    #[test]
    fn a_huge_timestamp_is_an_error_naming_file_and_line() {
        let text = log_at(&[0.0]);
        let (n, line) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.starts_with("0.000,"))
            .unwrap();
        let bad = text.replace(
            line,
            &line.replacen("0.000,", "18446744073709551615.000,", 1),
        );
        let e = parse(bad.as_bytes(), Path::new("h.hlog"))
            .unwrap_err()
            .to_string();
        assert!(e.contains(&format!("h.hlog:{}:", n + 1)), "{e}");
        assert!(e.contains("beyond the limit of 4294967296"), "{e}");
    }

    #[test]
    fn intervals_too_far_apart_for_their_length_are_an_error_naming_the_line() {
        let text = log_at(&[0.0, 100_000.0]);
        let n = text
            .lines()
            .position(|l| l.starts_with("100000.000,"))
            .unwrap()
            + 1;
        let e = parse(text.as_bytes(), Path::new("h.hlog"))
            .unwrap_err()
            .to_string();
        assert!(e.contains(&format!("h.hlog:{n}:")), "{e}");
        assert!(e.contains("at most 1000000 are allowed"), "{e}");
        // Within the limit it reads.
        assert_eq!(
            parse(log_at(&[0.0, 900.0]).as_bytes(), Path::new("h.hlog"))
                .unwrap()
                .intervals
                .len(),
            2
        );
    }

    #[test]
    fn a_deflated_histogram_declaring_4_gib_is_refused_before_decoding() {
        use hdrhistogram::serialization::{Serializer, V2Serializer};
        use std::io::Write;
        let mut h = crate::report::auto_histogram();
        h.record(1_000).expect("records");
        let mut plain = Vec::new();
        V2Serializer::new()
            .serialize(&h, &mut plain)
            .expect("serializes");
        assert!(check_declared_length(&plain).is_ok());
        // The inner payload claims 4 GiB.
        plain[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&plain).expect("deflates");
        let deflated = z.finish().expect("deflates");
        let mut bytes = vec![0x1c, 0x84, 0x93, 0x14];
        bytes.extend_from_slice(&(deflated.len() as u32).to_be_bytes());
        bytes.extend_from_slice(&deflated);
        let err = check_declared_length(&bytes).expect_err("refused");
        assert!(err.contains("4294967295"), "{err}");
    }
}
