//! The cost of recording one accepted handshake, to compare with the handshake itself
//! (about half a millisecond): `Recorder::record` (five histograms, counters, negotiated
//! parameters) and, for reference, a bare `hdrhistogram` `record`.
//!
//! Each is measured twice: with one fixed sample (the best case: the same buckets every time)
//! and cycling through 1024 samples whose latencies spread from 0.2 ms to about 50 ms, so the
//! touched buckets vary as they do under load.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use mtls_core::measure::{new_histogram, Negotiated, Outcome, Recorder, Sample};

/// One accepted attempt as the load engine would fill it: connect, handshake, first reply
/// byte, end, bytes and negotiated parameters. `latency_us` is the handshake phase.
fn accepted(latency_us: u64) -> Sample {
    let mut s = Sample::begin(Instant::now());
    let at = |us: u64| s.start + Duration::from_micros(us);
    let connected = at(50);
    let tls_done = at(50 + latency_us);
    let first_byte = at(50 + latency_us + 120);
    let end = at(50 + latency_us + 150);
    s.connected = Some(connected);
    s.tls_done = Some(tls_done);
    s.first_byte = Some(first_byte);
    s.end = end;
    s.outcome = Outcome::Accepted;
    s.http_status = Some(200);
    s.bytes_sent = 1_400;
    s.bytes_received = 2_900;
    s.negotiated = Some(Negotiated {
        version: "TLSv1_3",
        suite: "TLS13_AES_256_GCM_SHA384",
        group: Some("X25519"),
        resumed: false,
    });
    s
}

/// 1024 handshake latencies from 200 µs to about 50 ms, log-uniform, from a fixed xorshift
/// sequence.
fn spread_latencies_us() -> Vec<u64> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // 0 <= f < 1, then 200 µs * 2^(8 f): up to 51.2 ms.
            let f = (x >> 11) as f64 / (1u64 << 53) as f64;
            (200.0 * (8.0 * f).exp2()) as u64
        })
        .collect()
}

fn recorder(c: &mut Criterion) {
    let mut group = c.benchmark_group("recorder");

    // As the load engine does it: a worker locks its (uncontended) shard and records.
    let one = [accepted(500)];
    let rec = std::sync::Mutex::new(Recorder::default());
    group.bench_function("record_accepted", |b| {
        b.iter(|| {
            let mut r = rec
                .lock()
                .expect("never poisoned: nothing panics while holding it");
            r.record(black_box(&one[0]));
            r.completed_in_window += 1;
        })
    });
    let rec = rec.into_inner().expect("never poisoned");
    assert!(!rec.latency.is_empty(), "nothing was recorded");

    let many: Vec<Sample> = spread_latencies_us().into_iter().map(accepted).collect();
    let mut rec = Recorder::default();
    let mut cycle = many.iter().cycle();
    group.bench_function("record_accepted_spread", |b| {
        b.iter(|| {
            let sample = cycle
                .next()
                .expect("a cycle over a non-empty list never ends");
            rec.record(black_box(sample))
        })
    });
    assert!(!rec.latency.is_empty(), "nothing was recorded");

    group.finish();
}

fn histogram(c: &mut Criterion) {
    let mut group = c.benchmark_group("hdrhistogram");

    let mut h = new_histogram();
    group.bench_function("record", |b| {
        b.iter(|| {
            h.record(black_box(500))
                .expect("500 µs is within the bounds")
        })
    });

    let values = spread_latencies_us();
    let mut h = new_histogram();
    let mut cycle = values.iter().cycle();
    group.bench_function("record_spread", |b| {
        b.iter(|| {
            let v = *cycle
                .next()
                .expect("a cycle over a non-empty list never ends");
            h.record(black_box(v))
                .expect("latencies are within the bounds")
        })
    });

    group.finish();
}

// Written out rather than through `criterion_group!`, whose generated `pub fn` has no docs.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    recorder(&mut c);
    histogram(&mut c);
    c.final_summary();
}
